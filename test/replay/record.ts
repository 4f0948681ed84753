// Records histories for the replay test: `npm run build && node dist/test/replay/record.js`.
// Re-record when the workflow changes on purpose (and keep the old ones if old runs may still be open).
import fs from 'node:fs';
import path from 'node:path';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { SuperResolveInput } from '../../workflows/contract';
import { submitLaneId } from '../../workflows/ids';
import { buildProvider } from '../../workers/providers';
import { runScript, until, withWorkingStack } from '../harness/stack';

const OUT = path.join(__dirname, '..', '..', '..', 'test', 'replay', 'histories');

async function main(): Promise<void> {
  await withWorkingStack('record', {}, async (stack) => {
    const sample = await makeSampleVideo(path.join(stack.dir, 's.mp4'));
    const input = (name: string): SuperResolveInput => ({
      source: { kind: 'local', path: sample },
      destination: { kind: 'local', path: path.join(stack.dir, `${name}.mp4`) },
    });
    const save = async (name: string, workflowId: string) => {
      const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
      await fs.promises.writeFile(path.join(OUT, `${name}.json`), JSON.stringify(history));
      console.log(`recorded ${name}: ${history.events?.length} events`);
    };

    // The submit's answer is lost: the lane reconciles it through the job list (its history records that branch).
    stack.cloud.faults.dropSubmitResponses = 1;
    const ok = await stack.vsr.start(input('success'));
    await ok.result();
    await save('success', ok.workflowId);

    stack.cloud.faults.nextJobOutcomes = ['PROCESS_FAILED'];
    const failed = await stack.vsr.start(input('provider-failed'));
    await failed.result().catch(() => undefined);
    await save('provider-failed', failed.workflowId);

    stack.cloud.faults.jobDelayMs = 20_000;
    const cancelled = await stack.vsr.start(input('cancelled'));
    await until('polling', async () => (await stack.vsr.progress(cancelled.workflowId)).stage === 'polling' || undefined);
    await cancelled.cancel();
    await cancelled.result().catch(() => undefined);
    await save('cancelled', cancelled.workflowId);

    stack.cloud.faults.jobDelayMs = 0;
    // Pages of 2 with 2 at once: the third video starts from the second page while the first page's still run.
    const items = ['b1', 'b2', 'b3'].map((name) => ({ ...input(name), bitRateMbps: 2 }));
    const output = { kind: 'local' as const, dir: path.join(stack.dir, 'batch-out') };
    const manifest = { kind: 'items' as const, items };
    const batch = await stack.vsr.startBatch({ batchId: 'recorded', manifest, output, concurrency: 2, pageSize: 2 });
    await batch.result();
    await save('batch', batch.workflowId);

    // The account's submit lane, still running: every request above, the reconciled one included.
    await save('lane', submitLaneId(await buildProvider(stack.config).account()));
  });
}

runScript(main);

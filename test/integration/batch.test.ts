// Batches on the real stack: a worker process killed midway, exactly one paid job per video, then a re-run that
// skips them all. Paging, failures, skips and cancellation are tested with stubs in test/workflow/batch.test.ts.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchIdFor, type BatchInput } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { BatchItemResult } from '../../workflows/batchContract';
import { startTestStack, until, workerProcess, type TestStack } from '../harness/stack';

/** Videos in the batch (one of them in a subfolder), in pages of PAGE: six pages, so two workflow runs (5 pages a run). */
const VIDEOS = 12;
const PAGE = 2;

describe('batches', () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;
  let folder: string;
  let outDir: string;

  before(async () => {
    stack = await startTestStack('batch');
    folder = path.join(stack.dir, 'incoming');
    outDir = path.join(stack.dir, 'incoming.x2');
    await fs.promises.mkdir(path.join(folder, 'sub'), { recursive: true });
    const clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 480, height: 360, seconds: 1, audio: false });
    for (let i = 0; i < VIDEOS - 1; i++) await fs.promises.copyFile(clip, path.join(folder, `v${String(i).padStart(2, '0')}.mp4`));
    await fs.promises.copyFile(clip, path.join(folder, 'sub', 'nested.mov'));
    await fs.promises.writeFile(path.join(folder, 'readme.txt'), 'not a video, not listed');
  });
  after(async () => {
    child?.kill('SIGKILL');
    await stack.close();
  });

  function input(over: Partial<BatchInput> = {}): BatchInput {
    const manifest = { kind: 'folder' as const, path: folder };
    const output = { kind: 'local' as const, dir: outDir };
    return { batchId: batchIdFor(manifest, output), manifest, output, concurrency: 8, bitRateMbps: 2, ...over };
  }

  it('runs a batch through a worker crash, each video paid once, with a correct summary', async () => {
    const billed = stack.cloud.billableJobs();
    child = workerProcess(stack);
    // The crash and the run span two workflow runs joined by continue-as-new.
    const handle = await stack.vsr.startBatch(input({ pageSize: PAGE }));
    const midway = await until(
      'a few videos done',
      async () => {
        const p = await stack.vsr.batchProgress(handle.workflowId);
        return p.done >= 3 ? p : undefined;
      },
      180_000,
      200,
    );
    const killed = new Promise((r) => (child as ChildProcess).once('exit', r));
    child.kill('SIGKILL');
    await killed;
    assert.ok(midway.done < VIDEOS && midway.running > 0, `crash landed midway (done ${midway.done}, running ${midway.running})`);
    child = workerProcess(stack);

    const summary = await stack.vsr.batchResult(handle.workflowId);
    assert.deepEqual([summary.total, summary.done, summary.failed, summary.skipped], [VIDEOS, VIDEOS, 0, 0]);
    assert.equal(stack.cloud.billableJobs() - billed, VIDEOS, 'billable jobs == videos');
    const json = JSON.parse(await fs.promises.readFile(summary.summaryJson, 'utf8')) as { items: BatchItemResult[]; done: number };
    assert.equal(json.items.length, VIDEOS);
    assert.equal(new Set(json.items.map((i) => i.source)).size, VIDEOS);
    assert.ok(json.items.every((i) => i.status === 'done' && i.jobId && i.sha256));
    const csv = (await fs.promises.readFile(summary.summaryCsv, 'utf8')).trim().split('\n');
    assert.equal(csv[0], 'source,destination,status,reason,workflowId,jobId,sizeBytes,sha256');
    assert.equal(csv.length, VIDEOS + 1);
    assert.ok(fs.existsSync(path.join(outDir, 'sub', 'nested.x2.mp4')));
    assert.ok(fs.existsSync(path.join(outDir, 'v00.x2.mp4')));
    // Two runs joined by continue-as-new (visibility catches up shortly after the close).
    await until(
      'two runs in visibility',
      async () => {
        const runs: string[] = [];
        for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
          runs.push(run.status.name);
        return JSON.stringify(runs.sort()) === JSON.stringify(['COMPLETED', 'CONTINUED_AS_NEW']) || undefined;
      },
      30_000,
      200,
    );
  });

  it('a second run of the same manifest skips every video and pays nothing', async () => {
    const billed = stack.cloud.billableJobs();
    const summary = await stack.vsr.batchResult((await stack.vsr.startBatch(input())).workflowId);
    assert.deepEqual([summary.done, summary.skipped, summary.failed], [0, VIDEOS, 0]);
    assert.equal(stack.cloud.billableJobs(), billed);
    const json = JSON.parse(await fs.promises.readFile(summary.summaryJson, 'utf8')) as { items: BatchItemResult[] };
    assert.ok(json.items.every((i) => i.status === 'skipped' && i.reason === 'already done'));
  });
});

// Batches on the local stack: 50 videos, a worker killed midway, exactly one paid job per video, then a re-run.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchIdFor, batchWorkflowId, type BatchInput } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import type { BatchItemResult } from '../../workflows/batchContract';
import { startTestStack, until, workerProcess, type TestStack } from '../harness/stack';

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
    for (let i = 0; i < 49; i++) await fs.promises.copyFile(clip, path.join(folder, `v${String(i).padStart(2, '0')}.mp4`));
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

  it('runs 50 videos through a worker crash, each paid once, with a correct summary', async () => {
    const billed = stack.cloud.billableJobs();
    child = workerProcess(stack);
    // Pages of 20: the crash and the run span three workflow runs joined by continue-as-new.
    const handle = await stack.vsr.startBatch(input({ pageSize: 20 }));
    const midway = await until(
      'a dozen videos done',
      async () => {
        const p = await stack.vsr.batchProgress(handle.workflowId);
        return p.done >= 12 ? p : undefined;
      },
      180_000,
      200,
    );
    const killed = new Promise((r) => (child as ChildProcess).once('exit', r));
    child.kill('SIGKILL');
    await killed;
    assert.ok(midway.done < 50 && midway.running > 0, `crash landed midway (done ${midway.done}, running ${midway.running})`);
    child = workerProcess(stack);

    const summary = await stack.vsr.batchResult(handle.workflowId);
    assert.deepEqual([summary.total, summary.done, summary.failed, summary.skipped], [50, 50, 0, 0]);
    assert.equal(stack.cloud.billableJobs() - billed, 50, 'billable jobs == videos');
    const json = JSON.parse(await fs.promises.readFile(summary.summaryJson, 'utf8')) as { items: BatchItemResult[]; done: number };
    assert.equal(json.items.length, 50);
    assert.equal(new Set(json.items.map((i) => i.source)).size, 50);
    assert.ok(json.items.every((i) => i.status === 'done' && i.jobId && i.sha256));
    const csv = (await fs.promises.readFile(summary.summaryCsv, 'utf8')).trim().split('\n');
    assert.equal(csv[0], 'source,destination,status,reason,workflowId,jobId,sizeBytes,sha256');
    assert.equal(csv.length, 51);
    assert.ok(fs.existsSync(path.join(outDir, 'sub', 'nested.x2.mp4')));
    assert.ok(fs.existsSync(path.join(outDir, 'v00.x2.mp4')));
    // Three runs joined by continue-as-new (visibility catches up shortly after the close).
    await until(
      'three runs in visibility',
      async () => {
        const runs: string[] = [];
        for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
          runs.push(run.status.name);
        return JSON.stringify(runs.sort()) === JSON.stringify(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']) || undefined;
      },
      30_000,
      200,
    );
  });

  it('a second run of the same manifest skips all 50 and pays nothing', async () => {
    const billed = stack.cloud.billableJobs();
    const summary = await stack.vsr.batchResult((await stack.vsr.startBatch(input())).workflowId);
    assert.deepEqual([summary.done, summary.skipped, summary.failed], [0, 50, 0]);
    assert.equal(stack.cloud.billableJobs(), billed);
    const json = JSON.parse(await fs.promises.readFile(summary.summaryJson, 'utf8')) as { items: BatchItemResult[] };
    assert.ok(json.items.every((i) => i.status === 'skipped' && i.reason === 'already done'));
  });

  it('one bad video fails only itself, with its reason in the summary', async () => {
    const mixed = path.join(stack.dir, 'mixed');
    await fs.promises.mkdir(mixed);
    await fs.promises.copyFile(path.join(folder, 'v00.mp4'), path.join(mixed, 'good.mp4'));
    await makeSampleVideo(path.join(mixed, 'tiny.mp4'), { width: 320, height: 240, seconds: 1, audio: false });
    const manifest = { kind: 'folder' as const, path: mixed };
    const output = { kind: 'local' as const, dir: path.join(stack.dir, 'mixed.x2') };
    const summary = await stack.vsr.batchResult(
      (await stack.vsr.startBatch({ batchId: batchIdFor(manifest, output), manifest, output })).workflowId,
    );
    assert.deepEqual([summary.done, summary.failed], [1, 1]);
    const items = (JSON.parse(await fs.promises.readFile(summary.summaryJson, 'utf8')) as { items: BatchItemResult[] }).items;
    const bad = items.find((i) => i.status === 'failed');
    assert.match(bad?.reason ?? '', /^ResolutionOutOfRange: .*320x240/);
    assert.match(bad?.source ?? '', /tiny\.mp4$/);
  });

  it('cancelling a batch cancels its videos, whose cleanup runs', async () => {
    const slow = path.join(stack.dir, 'slow');
    await fs.promises.mkdir(slow);
    for (const name of ['s1.mp4', 's2.mp4']) await fs.promises.copyFile(path.join(folder, 'v00.mp4'), path.join(slow, name));
    const manifest = { kind: 'folder' as const, path: slow };
    const output = { kind: 'local' as const, dir: `${slow}.x2` };
    const batchId = batchIdFor(manifest, output);
    stack.cloud.faults.jobDelayMs = 60_000;
    try {
      const handle = await stack.vsr.startBatch({ batchId, manifest, output });
      await until(
        'both videos submitted',
        async () => {
          let polling = 0;
          for await (const c of stack.env.client.workflow.list({ query: `VsrBatchId = '${batchId}' AND VsrStage = 'polling'` }))
            polling += c.type === 'superResolveVideo' ? 1 : 0;
          return polling === 2 || undefined;
        },
        60_000,
        250,
      );
      await handle.cancel();
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err, 'the batch did not complete');
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
      const children: string[] = [];
      for await (const c of stack.env.client.workflow.list({ query: `VsrBatchId = '${batchId}' AND WorkflowType = 'superResolveVideo'` })) {
        children.push((await stack.env.client.workflow.getHandle(c.workflowId).describe()).status.name);
      }
      assert.deepEqual(children, ['CANCELLED', 'CANCELLED']);
      assert.deepEqual(stack.cloud.objects.list(stack.cloud.bucket, 'vsr-tmp/'), [], 'temporary uploads removed');
    } finally {
      stack.cloud.faults.jobDelayMs = 0;
    }
  });

  it('the batch workflow id is stable for the same manifest', () => {
    assert.equal(batchWorkflowId(input().batchId), batchWorkflowId(input({ concurrency: 2 }).batchId));
  });
});

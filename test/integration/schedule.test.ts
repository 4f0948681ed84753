// Batch re-runs on Temporal Schedules: trigger, "new since the last clean run", backfill, pause.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchIdFor } from '../../client';
import { makeSampleVideo } from '../../app/embedded/sample';
import { BatchSchedules } from '../../client/schedules';
import type { BatchSummary } from '../../workflows/batchContract';
import type { VsrWorkers } from '../../workers/worker';
import { inProcessWorker, startTestStack, until, type TestStack } from '../harness/stack';

describe('scheduled batches', () => {
  let stack: TestStack;
  let worker: { worker: VsrWorkers; running: Promise<void> };
  let schedules: BatchSchedules;
  let folder: string;
  let clip: string;

  before(async () => {
    stack = await startTestStack('schedule');
    worker = await inProcessWorker(stack);
    schedules = new BatchSchedules(stack.env.client, stack.taskQueue);
    folder = path.join(stack.dir, 'drop');
    await fs.promises.mkdir(folder);
    clip = await makeSampleVideo(path.join(stack.dir, 'clip.mp4'), { width: 480, height: 360, seconds: 1, audio: false });
    for (const name of ['a.mp4', 'b.mp4']) await fs.promises.copyFile(clip, path.join(folder, name));
  });
  after(async () => {
    worker.worker.shutdown();
    await worker.running;
    await stack.close();
  });

  async function nthRun(scheduleId: string, n: number): Promise<BatchSummary> {
    const workflowId = await until(
      `run ${n} of ${scheduleId}`,
      async () => {
        const d = await schedules.describe(scheduleId);
        return d.info.recentActions.length >= n ? d.info.recentActions[n - 1].action.workflow.workflowId : undefined;
      },
      60_000,
      200,
    );
    return stack.vsr.batchResult(workflowId);
  }

  it('runs on trigger, then picks up only what is new since the last clean run', async () => {
    const manifest = { kind: 'folder' as const, path: folder };
    const output = { kind: 'local' as const, dir: `${folder}.x2` };
    await schedules.create({
      scheduleId: 'nightly',
      batch: { batchId: batchIdFor(manifest, output), manifest, output },
      every: '1h',
      overlap: 'skip',
      catchupWindow: '5m',
    });
    // The list is visibility, which catches up shortly after.
    await until(
      'the schedule to be listed',
      async () =>
        (await schedules.list()).some((s) => s.scheduleId === 'nightly' && s.workflowType === 'vsrBatch' && !s.paused) ? true : undefined,
      30_000,
      200,
    );

    await schedules.handle('nightly').trigger();
    const first = await nthRun('nightly', 1);
    assert.deepEqual([first.total, first.done], [2, 2]);

    // A new file arrives (modified after the first run started: that run has finished since); the next run lists only it.
    await fs.promises.copyFile(clip, path.join(folder, 'c.mp4'));
    await schedules.handle('nightly').trigger();
    const second = await nthRun('nightly', 2);
    assert.deepEqual([second.total, second.done, second.skipped], [1, 1, 0]);
    assert.ok(fs.existsSync(path.join(`${folder}.x2`, 'c.x2.mp4')));
  });

  it('backfills the runs a window would have taken, and pauses', async () => {
    const before = (await schedules.describe('nightly')).info.numActionsTaken;
    const now = Date.now();
    await schedules.backfill('nightly', new Date(now - 3 * 3600_000 - 60_000), new Date(now - 60_000));
    await until(
      'three backfilled runs',
      async () => ((await schedules.describe('nightly')).info.numActionsTaken >= before + 3 ? true : undefined),
      60_000,
      200,
    );
    const third = await nthRun('nightly', 3);
    assert.equal(third.total, 0, 'nothing new since the last clean run');

    await schedules.handle('nightly').pause('maintenance');
    const d = await schedules.describe('nightly');
    assert.equal(d.state.paused, true);
    assert.equal(d.state.note, 'maintenance');
    await schedules.handle('nightly').delete();
    await assert.rejects(schedules.describe('nightly'), (e: Error) => e.name === 'ScheduleNotFoundError');
    // The list is visibility, which catches up shortly after.
    await until(
      'the list to drop it',
      async () => ((await schedules.list()).some((s) => s.scheduleId === 'nightly') ? undefined : true),
      30_000,
      200,
    );
  });
});

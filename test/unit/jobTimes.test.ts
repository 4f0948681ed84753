import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobTimeModel, makeJobTimes, workOf } from '../../activities/jobTimes';

const clip = (durationSeconds: number, width = 640, height = 360) => ({ durationSeconds, width, height });

describe('job time model', () => {
  it('knows nothing before a job finished', () => {
    assert.equal(new JobTimeModel().estimate(clip(10)), undefined);
  });

  it('with jobs of one size, scales time with the work (duration x pixels)', () => {
    const m = new JobTimeModel();
    for (let i = 0; i < 5; i++) m.observe(clip(10), 20_000);
    assert.equal(m.estimate(clip(10)), 20_000);
    assert.equal(m.estimate(clip(60)), 120_000);
    assert.equal(m.estimate(clip(10, 1280, 720)), 80_000);
  });

  it('with jobs of several sizes, separates a fixed cost from the cost per work', () => {
    const m = new JobTimeModel();
    // 3 s to start a job, then 2 s per second of 640x360 video.
    for (const seconds of [5, 60, 10, 120, 30, 5, 60]) m.observe(clip(seconds), 3000 + 2000 * seconds);
    assert.ok(Math.abs((m.estimate(clip(600)) as number) - 1_203_000) < 1000, String(m.estimate(clip(600))));
    assert.ok(Math.abs((m.estimate(clip(1)) as number) - 5000) < 100, String(m.estimate(clip(1))));
  });

  it('follows a provider that became slower, weighing recent jobs most', () => {
    const m = new JobTimeModel();
    for (let i = 0; i < 20; i++) m.observe(clip(10), 10_000);
    for (let i = 0; i < 10; i++) m.observe(clip(10), 30_000);
    assert.ok((m.estimate(clip(10)) as number) > 25_000, String(m.estimate(clip(10))));
  });

  it('ignores observations that cannot be times', () => {
    const m = new JobTimeModel();
    for (const ms of [0, -5, NaN, Infinity]) m.observe(clip(10), ms);
    assert.equal(m.estimate(clip(10)), undefined);
    assert.ok(workOf(clip(0)) > 0, 'a zero-length video still has some work, so no division by zero');
  });

  it('the local activities share one model per worker', async () => {
    const a = makeJobTimes();
    assert.deepEqual(await a.estimateJobTime({ shape: clip(10) }), { estimateMs: undefined });
    await a.recordJobTime({ shape: clip(10), processingMs: 7000 });
    assert.deepEqual(await a.estimateJobTime({ shape: clip(20) }), { estimateMs: 14_000 });
  });
});

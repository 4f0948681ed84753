// Three `vsr worker` processes with separate working folders on one Temporal server finish a batch from OSS to
// OSS with exactly one billable job per video. VSR_MULTI_WORKER_VIDEOS sets the size (CI: 100 tiny clips).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runMultiWorkerBatch } from '../harness/multiWorker';
import { startTestStack, type TestStack } from '../harness/stack';

const VIDEOS = Number(process.env.VSR_MULTI_WORKER_VIDEOS ?? 100);

describe('a batch across three worker processes', () => {
  let stack: TestStack;
  before(async () => {
    // The provider's own limit, shared by the three: the server-side queue limit must keep them under it.
    stack = await startTestStack('multi', { submitsPerSecond: 10, maxParallelJobs: 2 });
  });
  after(async () => {
    await stack.close();
  });

  it(`finishes ${VIDEOS} videos, each billed once, work shared by all three`, async () => {
    const r = await runMultiWorkerBatch(stack, { videos: VIDEOS, workers: 3, submitsPerSecond: 10 });
    const cpu = r.cpuSecondsPerWorker.reduce((a, b) => a + b, 0);
    console.log(
      `# ${VIDEOS} videos on 3 workers: ${(r.elapsedMs / 1000).toFixed(1)} s; activities per worker ${r.activitiesPerWorker.join('/')}; ` +
        `worker CPU ${cpu.toFixed(1)} s (${((1000 * cpu) / VIDEOS).toFixed(0)} ms a video); peak RSS MiB ${r.peakRssMiBPerWorker.join('/')}; throttled submits ${r.throttledSubmits}`,
    );
    assert.deepEqual([r.done, r.failed], [VIDEOS, 0]);
    assert.equal(r.billed, VIDEOS, 'exactly one billable job per video (the provider says)');
    assert.equal(r.billedByMetrics, VIDEOS, "the workers' vsr_billable_jobs_total agrees");
    assert.equal(new Set(r.outputs).size, VIDEOS, 'every output landed in object storage');
    assert.ok(
      r.activitiesPerWorker.every((n) => n > 0),
      `every worker took work: ${r.activitiesPerWorker.join('/')}`,
    );
    assert.deepEqual(r.leftovers, [], 'no partial download left in any working folder');
  });
});

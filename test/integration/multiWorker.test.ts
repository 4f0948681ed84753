// Three `vsr worker` processes with separate working folders on one Temporal server finish a batch from OSS to
// OSS with exactly one billable job per video, some submit answers lost on the way; the account's one submit lane
// makes its submits one at a time whichever worker runs them. VSR_MULTI_WORKER_VIDEOS sets the size (CI: 100 tiny clips).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runMultiWorkerBatch } from '../harness/multiWorker';
import { startTestStack, type TestStack } from '../harness/stack';

const VIDEOS = Number(process.env.VSR_MULTI_WORKER_VIDEOS ?? 100);

describe('a batch across three worker processes', () => {
  let stack: TestStack;
  before(async () => {
    // The provider's own limit, shared by the three: the lane's pace must keep them under it.
    stack = await startTestStack('multi', { submitsPerSecond: 10, maxParallelJobs: 2 });
  });
  after(async () => {
    await stack.close();
  });

  it(`finishes ${VIDEOS} videos, each billed once, work shared by all three`, async () => {
    const r = await runMultiWorkerBatch(stack, { videos: VIDEOS, workers: 3, submitsPerSecond: 10, lostAnswerRate: 0.05 });
    const cpu = r.cpuSecondsPerWorker.reduce((a, b) => a + b, 0);
    console.log(
      `# ${VIDEOS} videos on 3 workers: ${(r.elapsedMs / 1000).toFixed(1)} s; activities per worker ${r.activitiesPerWorker.join('/')}; ` +
        `worker CPU ${cpu.toFixed(1)} s (${((1000 * cpu) / VIDEOS).toFixed(0)} ms a video); peak RSS MiB ${r.peakRssMiBPerWorker.join('/')}; throttled submits ${r.throttledSubmits}; ` +
        `lane submits per worker ${r.laneSubmitsPerWorker.join('/')}, lost answers ${r.ambiguousByMetrics}, adopted ${r.adoptedByMetrics}`,
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
    // One lane for the account, one run open at a time (Temporal: one open run per workflow id), and its submits
    // never overlapped, even though they ran on different worker processes.
    assert.equal(r.lanes.ids, 1, 'one submit lane for the one account');
    assert.equal(r.lanes.open, 1, 'one lane run open');
    assert.equal(
      r.laneSubmitsPerWorker.reduce((a, b) => a + b, 0),
      VIDEOS + r.ambiguousByMetrics - r.adoptedByMetrics,
      'a submit per video, plus one per lost answer that found no job',
    );
    assert.ok(
      r.laneSubmitsPerWorker.filter((n) => n > 0).length >= 2,
      `lane submits ran on several workers: ${r.laneSubmitsPerWorker.join('/')}`,
    );
    assert.equal(r.overlappingLaneSubmits, 0, 'lane submits never ran at the same time');
    assert.ok(r.adoptedByMetrics > 0, 'some answers were lost and their jobs adopted');
  });
});

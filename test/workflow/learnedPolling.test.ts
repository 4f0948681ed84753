// The poll schedule as the workflow runs it, on the time-skipping test server: polls gather around the worker's
// estimate of the job's duration, the worker learns from the job, and without an estimate it backs off as before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobTimeModel, makeJobTimes } from '../../activities/jobTimes';
import type { SuperResolveInput } from '../../workflows/contract';
import { nextPollDelayMs, submittedClock } from '../../workflows/pollSchedule';
import { superResolveVideo } from '../../workflows/superResolve';
import { FakeActivities, replyFromLane } from '../harness/fakeActivities';
import { stubSuite, type Activities } from '../harness/workflowEnv';

const INPUT: SuperResolveInput = {
  source: { kind: 'local', path: '/videos/a.mp4' },
  destination: { kind: 'local', path: '/videos/a.x2.mp4' },
};
const TWO_MINUTES = 120_000;
/** A finish is noticed within one window step (10% of the estimate) plus its jitter (+20%): 12%. */
const NOTICED_WITHIN = 0.1 * 1.2;

/** Today's schedule without an estimate (and without jitter) for a job of `jobMs`: its polls and how late it notices. */
function blindSchedule(jobMs: number): { polls: number; delayMs: number } {
  const clock = submittedClock(0);
  let t = 0;
  let polls = 0;
  while (t < jobMs) {
    t += nextPollDelayMs(clock, t, 0.5);
    polls++;
  }
  return { polls, delayMs: t - jobMs };
}

describe('learned poll schedule in the workflow', () => {
  const suite = stubSuite();
  let n = 0;

  /** One workflow whose job finishes `jobMs` after submit (on the server's clock); what the polls saw. */
  async function runJob(jobMs: number, estimate: Partial<Activities>) {
    let submittedAt = 0;
    const pollsAt: number[] = [];
    const fake = new FakeActivities({
      ...estimate,
      requestSubmit: async (request) => {
        submittedAt = await suite.env.currentTimeMs();
        await replyFromLane(request, { requestId: request.requestId, jobId: 'J1' });
      },
      pollJob: async () => {
        const now = await suite.env.currentTimeMs();
        pollsAt.push(now - submittedAt);
        return { status: now - submittedAt >= jobMs ? 'PROCESS_SUCCESS' : 'PROCESSING' };
      },
    });
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `learned-${++n}`, args: [INPUT] });
      await handle.result();
    });
    return { fake, pollsAt, delayMs: (pollsAt.at(-1) as number) - jobMs };
  }

  it('with an estimate, the first poll waits for most of it and the finish is noticed within a step (10% of it, jittered)', async () => {
    const { fake, pollsAt, delayMs } = await runJob(TWO_MINUTES, {
      estimateJobTime: async () => ({ estimateMs: TWO_MINUTES }),
      recordJobTime: async () => undefined,
    });
    const blind = blindSchedule(TWO_MINUTES);
    assert.ok(delayMs <= NOTICED_WITHIN * TWO_MINUTES, `noticed ${delayMs} ms after the finish (polls at ${pollsAt.join(', ')})`);
    assert.ok(pollsAt.length <= blind.polls, `${pollsAt.length} polls; today's schedule without an estimate ${blind.polls}`);
    assert.ok(blind.delayMs > 0.1 * TWO_MINUTES, 'without an estimate the back-off notices later (else this proves nothing)');
    assert.deepEqual(
      fake.inputsOf<{ shape: unknown }>('estimateJobTime').map((i) => i.shape),
      [{ durationSeconds: 2, width: 640, height: 360 }],
      'asked once, with the video shape',
    );
  });

  it("the worker learns the job's time from the polls and estimates the next job from it", async () => {
    const jobTimes = makeJobTimes(new JobTimeModel());
    await runJob(TWO_MINUTES, jobTimes);
    const { estimateMs } = await jobTimes.estimateJobTime({ shape: { durationSeconds: 2, width: 640, height: 360 } });
    assert.ok(estimateMs !== undefined && Math.abs(estimateMs - TWO_MINUTES) <= 0.3 * TWO_MINUTES, `learned ${estimateMs} ms`);
    const second = await runJob(TWO_MINUTES, jobTimes);
    assert.ok(
      second.delayMs <= NOTICED_WITHIN * TWO_MINUTES,
      `second job noticed ${second.delayMs} ms late (polls at ${second.pollsAt.join(', ')})`,
    );
  });

  it('a failing estimate is only a missing hint: the job is polled with back-off and finishes', async () => {
    const { pollsAt } = await runJob(30_000, {
      estimateJobTime: async () => {
        throw new Error('estimator down');
      },
      recordJobTime: async () => {
        throw new Error('estimator down');
      },
    });
    // 2 s +-20%, plus the real time the reply and the estimate's local activity take (the test clock also runs).
    assert.ok(pollsAt[0] >= 1600 && pollsAt[0] <= 3000, `first poll after ${pollsAt[0]} ms`);
    assert.ok((pollsAt.at(-1) as number) >= 30_000, 'polled until the job finished');
  });
});

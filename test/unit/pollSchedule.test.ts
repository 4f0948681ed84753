import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus } from '../../workflows/contract';
import {
  afterPoll,
  DEFAULT_POLL_SCHEDULE,
  nextPollDelayMs,
  observedProcessingMs,
  submittedClock,
  type PollClock,
} from '../../workflows/pollSchedule';

/** Polls a job that is QUEUING for `queuedMs`, then PROCESSING until `doneAtMs` (from submit). */
function simulate(doneAtMs: number, estimateMs: number | undefined, random: () => number = () => 0.5, queuedMs = 0) {
  let clock: PollClock = submittedClock(0, estimateMs);
  const at: number[] = [];
  let now = 0;
  for (;;) {
    now += nextPollDelayMs(clock, now, random());
    at.push(now);
    const status: JobStatus = now >= doneAtMs ? 'PROCESS_SUCCESS' : now < queuedMs ? 'QUEUING' : 'PROCESSING';
    clock = afterPoll(clock, status, now);
    if (status === 'PROCESS_SUCCESS') return { polls: at.length, delayMs: now - doneAtMs, at, clock, now };
  }
}

/** A small deterministic random source, so a failure reproduces. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe('poll schedule', () => {
  it('without an estimate, backs off as before: 2 s, then 1.5x per poll, to a 60 s cap', () => {
    const { at } = simulate(10 * 60_000, undefined);
    assert.deepEqual(at.slice(0, 5), [2000, 5000, 9500, 16250, 26375]);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    assert.equal(Math.max(...gaps), DEFAULT_POLL_SCHEDULE.capMs);
  });

  it('never waits longer than the cap, whatever the state and the random number', () => {
    for (const estimateMs of [undefined, 500, 10_000, 120_000, 3_600_000])
      for (const status of [undefined, 'QUEUING', 'PROCESSING'] as const)
        for (const now of [0, 1000, 100_000, 10_000_000])
          for (const r of [0, 0.5, 0.9999]) {
            const clock: PollClock = { ...submittedClock(0, estimateMs), status };
            const d = nextPollDelayMs(clock, now, r);
            assert.ok(d >= 1 && d <= DEFAULT_POLL_SCHEDULE.capMs, `${d} ms for ${JSON.stringify({ estimateMs, status, now, r })}`);
          }
  });

  it('spreads each delay by the jitter share either way', () => {
    const clock = submittedClock(0);
    assert.equal(nextPollDelayMs(clock, 2000, 0), 2400);
    assert.equal(nextPollDelayMs(clock, 2000, 0.9999999), 3600);
  });

  it('with an estimate, notices 2 and 20 minute jobs within 10% of their time on average, with fewer polls than the back-off', () => {
    for (const minutes of [2, 20]) {
      const estimate = minutes * 60_000;
      const random = seeded(minutes);
      let learned = { polls: 0, delay: 0 };
      let blind = { polls: 0, delay: 0 };
      const n = 100;
      for (let k = 0; k < n; k++) {
        // Jobs from 20% quicker to 30% slower than estimated.
        const actual = estimate * (0.8 + (0.5 * k) / n);
        const a = simulate(actual, estimate, random);
        const b = simulate(actual, undefined, random);
        learned = { polls: learned.polls + a.polls / n, delay: learned.delay + a.delayMs / actual / n };
        blind = { polls: blind.polls + b.polls / n, delay: blind.delay + b.delayMs / actual / n };
      }
      assert.ok(learned.delay <= 0.1, `${minutes} min: noticed ${(100 * learned.delay).toFixed(1)}% of the job time late`);
      assert.ok(learned.polls <= blind.polls, `${minutes} min: ${learned.polls} polls, back-off ${blind.polls}`);
      if (minutes === 2) assert.ok(blind.delay > 0.1, 'the back-off alone misses the target (else this test proves nothing)');
    }
  });

  it('still polls early for quick failures, and backs off again when the job outlives the estimate', () => {
    const { at } = simulate(60 * 60_000, 120_000);
    assert.equal(at[0], 2000, 'first poll after 2 s');
    const late = at.filter((t) => t > 1.5 * 120_000);
    const gaps = late.slice(1).map((t, i) => t - late[i]);
    assert.ok(
      gaps.every((g, i) => i === 0 || g >= gaps[i - 1]),
      `gaps grow after 1.5 E: ${gaps.join(', ')}`,
    );
    assert.equal(gaps.at(-1), DEFAULT_POLL_SCHEDULE.capMs);
  });

  it('a QUEUING answer restarts the estimate: no dense polling before the job can have finished', () => {
    const estimate = 30_000;
    const queued = simulate(10 * 60_000 + estimate, estimate, () => 0.5, 10 * 60_000);
    const beforeStart = queued.at.filter((t) => t < 10 * 60_000);
    const gaps = beforeStart.slice(1).map((t, i) => t - beforeStart[i]);
    assert.ok(gaps.length > 3 && gaps.every((g) => g >= 0.85 * estimate), `queue gaps ${gaps.join(', ')}`);
    assert.ok(queued.delayMs <= 0.1 * estimate + DEFAULT_POLL_SCHEDULE.capMs, `noticed ${queued.delayMs} ms late`);
  });

  it('short estimates poll at most every half second', () => {
    const { at } = simulate(2000, 400);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    assert.ok(
      gaps.every((g) => g >= 500),
      gaps.join(', '),
    );
  });

  it('observed processing time: the midpoint of the last unfinished answer and the one that saw the job done', () => {
    const c = afterPoll(afterPoll(submittedClock(1000), 'QUEUING', 3000), 'PROCESSING', 100_000);
    assert.equal(observedProcessingMs(c, 110_000), 102_000, 'midpoint of 97 s and 107 s after the last QUEUING');
    assert.equal(observedProcessingMs(submittedClock(0), 5000), 2500, 'first answer already done: somewhere in the first 5 s');
  });
});

// The lane's provider calls with a fake provider: a paced submit that says what became of it, a paced job listing,
// the shared in-activity retry, and how VIAPI failures are read ("did the provider act on it?").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { backoffMs, isTransient, retryTransient, TRANSIENT_RETRY } from '../../activities/provider/retry';
import {
  classifyViapiError,
  fromBeijingTime,
  toBeijingTime,
  ViapiCallError,
  type JobListEntry,
  type JobListQuery,
  type ViapiClient,
} from '../../activities/provider/viapi';
import { LIST_INTERVAL_MS, makeSubmit } from '../../activities/submit';
import type {
  ListJobsOutput,
  ProviderSubmitInput,
  ProviderSubmitOutcome,
  SubmitInOrderInput,
  SubmitInOrderResult,
  SubmitOutcomeSignal,
} from '../../activities/types';

type Answer = { jobId: string } | ViapiCallError;

function fakeProvider(answers: Answer[], pages: JobListEntry[][] = [[]], temporal?: unknown) {
  const sends: number[] = [];
  const lists: Array<{ at: number; q: JobListQuery }> = [];
  const viapi: ViapiClient = {
    submit: async () => {
      sends.push(Date.now());
      const a = answers.shift() ?? { jobId: 'LAST' };
      if (a instanceof ViapiCallError) throw a;
      return a;
    },
    getResult: async () => {
      throw new Error('unused');
    },
    listJobs: async (q) => {
      lists.push({ at: Date.now(), q });
      return { totalPages: pages.length, jobs: pages[q.pageNum - 1] ?? [] };
    },
    cancelWaiting: async () => undefined,
  };
  const deps = {
    viapi,
    storage: { signGetUrl: (b: string, k: string) => `http://localhost:1/${b}/${k}?Signature=x` },
    now: () => Date.now(),
    submitsPerSecond: 20, // 50 ms apart, so the test stays quick
    temporal,
  } as unknown as ActivityDeps; // only what these activities touch
  return { sends, lists, ...makeSubmit(deps) };
}

const input: ProviderSubmitInput = { providerSource: { kind: 'oss', bucket: 'b-1', key: 'vsr-tmp/wf/source' }, bitRateMbps: 5 };
const busy = (code = 'Throttling.User', status = 400) => new ViapiCallError('rejected', code, status, code);
const env = () => new MockActivityEnvironment();

describe('submit to the provider (the lane calls this)', () => {
  it('submits once and reports the job and when it was sent', async () => {
    const p = fakeProvider([{ jobId: 'J1' }]);
    const r: ProviderSubmitOutcome = await env().run(p.submitToProvider, input);
    assert.equal(r.outcome, 'accepted');
    assert.equal(r.outcome === 'accepted' && r.jobId, 'J1');
    assert.equal(p.sends.length, 1);
    assert.ok(r.sentAt !== undefined && Math.abs(r.sentAt - p.sends[0]) < 50);
  });

  it('keeps the pace after the lane\'s last submit, and between its own retries of "busy" answers', async () => {
    const p = fakeProvider([
      busy(),
      busy('ServiceUnavailable', 503),
      new ViapiCallError('not-sent', 'ECONNREFUSED', undefined, 'x'),
      { jobId: 'J' },
    ]);
    const lastSentAt = Date.now();
    const r: ProviderSubmitOutcome = await env().run(p.submitToProvider, { ...input, lastSentAt });
    assert.equal(r.outcome, 'accepted');
    assert.equal(p.sends.length, 4, 'throttling, a 5xx with a code and a refused connection made no job: sent again');
    // 20/s plus 2% margin: 51 ms apart at least (timers may fire a millisecond early).
    for (const [i, at] of p.sends.entries()) assert.ok(at - (i === 0 ? lastSentAt : p.sends[i - 1]) >= 50, `send ${i} paced`);
  });

  it('an answer lost after sending is ambiguous, with the window in which a job may have been made; not retried', async () => {
    const p = fakeProvider([new ViapiCallError('unknown', 'ECONNRESET', undefined, 'socket hang up'), { jobId: 'never' }]);
    const before = Date.now();
    const r: ProviderSubmitOutcome = await env().run(p.submitToProvider, input);
    assert.equal(r.outcome, 'ambiguous');
    assert.equal(p.sends.length, 1, 'never sent twice by the activity');
    if (r.outcome === 'ambiguous') assert.ok(r.from >= before && r.to >= r.from && r.from <= p.sends[0] + 5);
  });

  it('refusals that retrying cannot fix end it at once, typed', async () => {
    for (const [err, type] of [
      [new ViapiCallError('rejected', 'InvalidParameter', 400, 'bad'), 'ProviderRejected'],
      [new ViapiCallError('rejected', 'InvalidAccessKeyId.NotFound', 404, 'who'), 'ProviderAuth'],
    ] as const) {
      const p = fakeProvider([err]);
      const r: ProviderSubmitOutcome = await env().run(p.submitToProvider, input);
      assert.equal(r.outcome === 'refused' && r.type, type);
      assert.equal(p.sends.length, 1);
    }
  });
});

describe('list provider jobs (the lane reconciles with this)', () => {
  const entry = (jobId: string, popApiName = 'SuperResolveVideo'): JobListEntry => ({
    jobId,
    status: 'QUEUING',
    popProduct: 'videoenhan',
    popApiName,
    createdAt: 0,
  });

  it('waits out the list rate after the last listing, reads every page, and keeps only SuperResolveVideo jobs', async () => {
    const p = fakeProvider([], [[entry('A'), entry('X', 'Other')], [entry('B')]]);
    const lastListAt = Date.now() - LIST_INTERVAL_MS + 300;
    const r: ListJobsOutput = await env().run(p.listProviderJobs, { from: Date.now() - 2_000, to: Date.now(), lastListAt });
    assert.deepEqual(r.jobIds, ['A', 'B']);
    assert.equal(p.lists.length, 2);
    assert.ok(p.lists[0].at - lastListAt >= LIST_INTERVAL_MS - 5, 'first page waited for the rate');
    assert.ok(p.lists[1].at - p.lists[0].at >= LIST_INTERVAL_MS - 5, 'second page too');
    assert.deepEqual(
      p.lists.map((l) => l.q.pageNum),
      [1, 2],
    );
    // Taken just before the last page's call (the provider's clock reads a moment later).
    assert.ok(r.listedAt <= p.lists[1].at && p.lists[1].at - r.listedAt < 100, `listed at ${r.listedAt}, last page at ${p.lists[1].at}`);
  });

  it('refuses a window the job list no longer reaches (24 hours back), without calling it', async () => {
    const p = fakeProvider([]);
    const r: ListJobsOutput = await env().run(p.listProviderJobs, { from: Date.now() - 23.5 * 3600_000, to: Date.now() });
    assert.deepEqual([r.beyondReach, p.lists.length], [true, 0]);
  });
});

describe('VIAPI failures and the shared retry', () => {
  it('reads a clean refusal, an answer without a code, a gateway timeout and network failures', () => {
    const cases: Array<[unknown, string, string]> = [
      [{ statusCode: 400, code: 'Throttling.User' }, 'rejected', 'Throttling.User'],
      [{ statusCode: 503, code: 'ServiceUnavailable' }, 'rejected', 'ServiceUnavailable'],
      [{ statusCode: 502, code: 'undefined' }, 'unknown', 'HTTP502'],
      [{ statusCode: 504, code: 'GatewayTimeout' }, 'unknown', 'GatewayTimeout'],
      [{ statusCode: 404, code: 'undefined' }, 'rejected', 'HTTP404'],
      [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'not-sent', 'ECONNREFUSED'],
      [{ message: 'socket hang up ECONNRESET' }, 'unknown', 'ECONNRESET'],
    ];
    for (const [err, outcome, code] of cases) {
      const e = classifyViapiError(err);
      assert.deepEqual([e.outcome, e.code], [outcome, code], JSON.stringify(err));
    }
  });

  it('writes and reads the job list times in Beijing time, to the second', () => {
    const t = Date.UTC(2026, 0, 2, 16, 4, 5);
    assert.equal(toBeijingTime(t), '2026-01-03 00:04:05');
    assert.equal(fromBeijingTime('2026-01-03 00:04:05'), t);
    assert.ok(Number.isNaN(fromBeijingTime('2026-01-03T00:04:05Z')));
  });

  it('retries transient answers at once with a short jittered backoff, and gives up after its budget', async () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, 1)),
      [100, 200, 400, 800, 1600, 2000, 2000],
    );
    assert.equal(backoffMs(0, 0), 50, 'jitter takes off up to half');
    let calls = 0;
    const r = await retryTransient(async () => {
      if (++calls < 4) throw Object.assign(new Error('InternalError'), { status: 500 });
      return 'ok';
    });
    assert.deepEqual([r, calls], ['ok', 4]);
    calls = 0;
    await assert.rejects(
      retryTransient(
        async () => {
          calls += 1;
          throw busy('ServiceUnavailable', 503);
        },
        { budgetMs: 250 },
      ),
      (e: ViapiCallError) => e.code === 'ServiceUnavailable',
    );
    assert.ok(calls >= 2 && calls <= 4, `${calls} tries in 250 ms`);
    assert.ok(TRANSIENT_RETRY.maxDelayMs < 15_000, 'each wait stays far below the heartbeat timeout');
  });

  it('counts as transient: 5xx and throttling answers, network failures; not client errors', () => {
    assert.ok(isTransient(busy()));
    assert.ok(isTransient(busy('InternalError', 500)));
    assert.ok(isTransient(new ViapiCallError('unknown', 'ECONNRESET', undefined, 'x')));
    assert.ok(isTransient({ status: 503 }) && isTransient({ status: -1 }) && isTransient({ status: -2 }));
    assert.ok(isTransient(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })));
    assert.ok(!isTransient(busy('InvalidParameter', 400)));
    assert.ok(!isTransient({ status: 404 }) && !isTransient({ status: 403 }));
    assert.ok(!isTransient(new Error('bug')));
  });
});

describe('submit in order (the lane hands its queue to one call)', () => {
  /**
   * The Temporal server as the activity sees it: outcome signals to the lane and heartbeats by task token, logged
   * beside the provider's sends; `alive` says whether the server still counts the activity as running.
   */
  function lane(o: { alive?: (heartbeats: number) => boolean; signalFails?: boolean; acceptAfterMs?: number } = {}) {
    const log: string[] = [];
    let heartbeats = 0;
    const temporal = {
      workflow: {
        getHandle: (workflowId: string, runId: string) => ({
          signal: async (name: string, s: SubmitOutcomeSignal) => {
            assert.deepEqual([workflowId, runId, name], ['lane-wf', 'lane-run', 'submitOutcome'], 'to the lane run that started the call');
            if (o.signalFails) throw new Error('UNAVAILABLE');
            // The server's acceptance, slower than the pace: a send that did not await it would be logged first.
            if (o.acceptAfterMs) await new Promise((resolve) => setTimeout(resolve, o.acceptAfterMs));
            log.push(`signal ${s.requestId} ${s.outcome.outcome}`);
          },
        }),
      },
      activity: {
        heartbeat: async () => {
          if (!(o.alive?.(++heartbeats) ?? true)) throw new Error('NotFound: activity no longer running');
        },
      },
    };
    return { log, temporal };
  }
  const callEnv = () =>
    new MockActivityEnvironment({ workflowExecution: { workflowId: 'lane-wf', runId: 'lane-run' }, taskToken: new Uint8Array([1]) });
  const requests = (n: number): SubmitInOrderInput['requests'] =>
    Array.from({ length: n }, (_, i) => ({ requestId: `r${i + 1}`, ...input }));

  /** The real activity; its sends are logged beside the signals. */
  async function run(answers: Answer[], l: ReturnType<typeof lane>, n: number, lastSentAt?: number) {
    const p = fakeProvider(answers, [[]], l.temporal);
    const viapiSubmit = p.sends.push.bind(p.sends);
    p.sends.push = (...t: number[]) => (l.log.push('send'), viapiSubmit(...t));
    const result = callEnv().run(p.submitInOrder, { call: 7, requests: requests(n), lastSentAt });
    return { p, result: result as Promise<SubmitInOrderResult> };
  }

  it('sends each request only after the previous outcome was signalled to the lane, at the pace', async () => {
    const l = lane({ acceptAfterMs: 120 });
    const { p, result } = await run(
      [{ jobId: 'J1' }, new ViapiCallError('rejected', 'InvalidParameter', 400, 'bad'), { jobId: 'J3' }],
      l,
      3,
      Date.now(),
    );
    assert.deepEqual(await result, { signalled: 3 });
    assert.deepEqual(l.log, ['send', 'signal r1 accepted', 'send', 'signal r2 refused', 'send', 'signal r3 accepted']);
    const gaps = p.sends.slice(1).map((t, i) => t - p.sends[i]);
    assert.ok(
      gaps.every((g) => g >= 50),
      `50 ms apart at 20 submits/s: ${gaps.join(', ')}`,
    );
  });

  it('stops at a busy or ambiguous send and returns it; nothing after it is sent', async () => {
    const l = lane();
    const lost = new ViapiCallError('unknown', 'ECONNRESET', undefined, 'reset after sending');
    const { result } = await run([{ jobId: 'J1' }, lost], l, 4);
    const end = await result;
    assert.equal(end.signalled, 1);
    assert.equal(end.stopped?.outcome, 'ambiguous');
    assert.deepEqual(l.log, ['send', 'signal r1 accepted', 'send']);
  });

  it('sends nothing once the server no longer counts the call as running (timed out while the worker stalled)', async () => {
    const l = lane({ alive: (beats) => beats < 2 });
    const { result } = await run([{ jobId: 'J1' }, { jobId: 'J2' }], l, 3);
    assert.deepEqual(await result, { signalled: 1 }, 'r2 and r3 not sent: the lane queues them again');
    assert.deepEqual(l.log, ['send', 'signal r1 accepted']);
  });

  it('asks the server again before each retry through busy answers, and stops sending when it no longer runs', async () => {
    const l = lane({ alive: (beats) => beats < 3 });
    const { p, result } = await run([busy(), busy(), { jobId: 'J1' }], l, 1);
    await assert.rejects(result, /NotFound/, 'the call fails: the lane holds the request ambiguous and lists');
    assert.equal(p.sends.length, 2, 'first try, one retry (confirmed), then the server had given up on it');
  });

  it('a signal that fails fails the call: the lane reconciles that request rather than the activity guessing', async () => {
    const l = lane({ signalFails: true });
    const { p, result } = await run([{ jobId: 'J1' }, { jobId: 'J2' }], l, 2);
    await assert.rejects(result, /UNAVAILABLE/);
    assert.equal(p.sends.length, 1, 'the next request was not sent');
  });
});

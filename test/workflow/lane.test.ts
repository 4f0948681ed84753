// The submit lane on the time-skipping server: real pipelines reach it through the real requestSubmit activity
// (signal-with-start); the provider calls are scripted. Every branch of "never pay twice".
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { laneLink, makeLane } from '../../activities/lane';
import { sendInOrder } from '../../activities/submit';
import type { ListJobsInput, ProviderSubmitInput, ProviderSubmitOutcome } from '../../activities/types';
import { ErrorTypes, type SuperResolveInput, type SuperResolveResult } from '../../workflows/contract';
import { submitLaneId } from '../../workflows/ids';
import type { LaneState } from '../../workflows/laneBook';
import { LIST_SLACK_MS, submitLane } from '../../workflows/submitLane';
import { laneStatusQuery, submitRequestSignal, withdrawSubmitSignal } from '../../workflows/signals';
import type { SubmitRequest } from '../../workflows/submitLaneContract';
import { superResolveVideo } from '../../workflows/superResolve';
import { FakeActivities } from '../harness/fakeActivities';
import { gate, resultsOf, rootCause, stubSuite, TEST_LIMIT, type Activities } from '../harness/workflowEnv';

const INPUT: SuperResolveInput = {
  source: { kind: 'url', url: 'http://127.0.0.1:1/a.mp4' },
  destination: { kind: 'local', path: '/videos/a.x2.mp4' },
  bitRateMbps: 4,
};

type Step = ProviderSubmitOutcome | 'crash' | (() => Promise<ProviderSubmitOutcome>);
const accepted = (jobId: string): ProviderSubmitOutcome => ({ outcome: 'accepted', jobId, sentAt: 1_000 });
/** A send that waits until `release()`, then is accepted (or has the outcome given); `entered` opens when it starts. */
function held(outcome: string | ProviderSubmitOutcome) {
  const entered = gate();
  const released = gate();
  const step = async (): Promise<ProviderSubmitOutcome> => {
    entered.open();
    await released.wait;
    return typeof outcome === 'string' ? accepted(outcome) : outcome;
  };
  return { step, entered: entered.wait, release: released.open };
}
/** A submit whose answer was lost: sent a second ago, given up on now. */
const ambiguous = async (): Promise<ProviderSubmitOutcome> => {
  const to = Date.now();
  return { outcome: 'ambiguous', from: to - 1_000, to, code: 'ECONNRESET', sentAt: to - 1_000 };
};

/** The provider as the lane's activities see it: scripted submit outcomes and listings, recorded calls. */
class ScriptedProvider {
  readonly submits: ProviderSubmitInput[] = [];
  readonly lists: ListJobsInput[] = [];
  readonly cancels: string[] = [];
  /** How many requests each submitInOrder call took. */
  readonly calls: number[] = [];
  constructor(
    private readonly steps: Step[],
    private readonly listings: string[][] = [],
  ) {}

  /** Sends one submit: the next scripted step. */
  private readonly send = async (input: ProviderSubmitInput): Promise<ProviderSubmitOutcome> => {
    this.submits.push(input);
    const step = this.steps.shift() ?? accepted(`J${this.submits.length}`);
    // An activity that fails mid-call, as when its worker dies: the lane cannot know whether it sent anything.
    if (step === 'crash') throw ApplicationFailure.create({ message: 'worker lost', nonRetryable: true });
    return typeof step === 'function' ? step() : step;
  };

  activities(): Partial<Activities> {
    return {
      submitToProvider: this.send,
      // The real loop (outcomes signalled to the lane, each accepted before the next send) around scripted sends.
      submitInOrder: (input) => (
        this.calls.push(input.requests.length),
        sendInOrder(input, { send: this.send, lane: laneLink({}), now: Date.now, spacingMs: 0 })
      ),
      listProviderJobs: async (input) => {
        this.lists.push(input);
        return { jobIds: this.listings.shift() ?? [], listedAt: 100_000 * this.lists.length };
      },
      cancelJob: async ({ jobId }) => {
        this.cancels.push(jobId);
        return { status: 'JOB_CANCELED' };
      },
    };
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('submitLane workflow', () => {
  const suite = stubSuite();
  let n = 0;

  /** Pipeline stubs, the real lane activities for a fresh account (a fresh lane), and the scripted provider. */
  function setup(provider: ScriptedProvider): { fake: FakeActivities; account: string } {
    const account = `acct-${randomUUID()}`;
    const lane = makeLane({ account: async () => account } as ActivityDeps);
    const fake = new FakeActivities({ requestSubmit: lane.requestSubmit, withdrawSubmit: lane.withdrawSubmit, ...provider.activities() });
    fake.jobs = [['PROCESS_SUCCESS']];
    return { fake, account };
  }

  /** Runs pipelines through the lane side by side (their requests queue up in it); their results or failures. */
  async function pipelines(fake: FakeActivities, count = 1): Promise<unknown[]> {
    return suite.workers.run(fake.activities(), async (taskQueue) => {
      const handles = [];
      for (let i = 0; i < count; i++)
        handles.push(await suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `lane-wf-${++n}`, args: [INPUT] }));
      return resultsOf(suite.env, handles);
    });
  }

  /** The jobs the pipelines got, in order (the lane serves them in whatever order their requests arrived). */
  const jobsOf = (outcomes: unknown[]): string[] => outcomes.map(jobOf).sort();

  /** A request straight to the lane, from a requester that does not exist (so its job, if any, is unwanted). */
  function orphanRequest(bitRateMbps = 5): SubmitRequest {
    return {
      requestId: randomUUID(),
      requester: { workflowId: `gone-${randomUUID()}`, runId: randomUUID() },
      providerSource: { kind: 'url', url: 'http://127.0.0.1:1/v.mp4' },
      bitRateMbps,
    };
  }

  async function signalLane(account: string, taskQueue: string, request: SubmitRequest, carried?: LaneState): Promise<void> {
    await suite.env.client.workflow.signalWithStart(submitLane, {
      workflowId: submitLaneId(account),
      taskQueue,
      args: carried ? [carried] : [],
      signal: submitRequestSignal,
      signalArgs: [request],
    });
  }

  /** A provider whose first submit blocks until `first.open()`, so requests queue up in the lane meanwhile. */
  function busyWithFirst() {
    const first = gate();
    const entered = gate();
    const provider = new ScriptedProvider([
      async () => {
        entered.open();
        await first.wait;
        return accepted('J1');
      },
    ]);
    return { entered, first, provider };
  }

  const jobOf = (r: unknown): string => {
    if (r instanceof Error) throw new Error(`pipeline failed: ${rootCause(r).type}: ${rootCause(r).message}`);
    return (r as SuperResolveResult).jobId;
  };

  it('accepted: replies with the job; a second request waits its turn and is paced after the first', TEST_LIMIT, async () => {
    const provider = new ScriptedProvider([accepted('J1'), accepted('J2')]);
    const { fake } = setup(provider);
    assert.deepEqual(jobsOf(await pipelines(fake, 2)), ['J1', 'J2']);
    assert.equal(provider.submits[1].lastSentAt, 1_000, 'the next submit keeps the pace after the last one sent');
    assert.equal(provider.lists.length, 0, 'nothing ambiguous: nothing listed');
  });

  it('ambiguous: adopts the one unknown job created in its window, never one the lane already knows', TEST_LIMIT, async () => {
    const provider = new ScriptedProvider([accepted('J1'), ambiguous], [['J1', 'J2']]);
    const { fake } = setup(provider);
    assert.deepEqual(jobsOf(await pipelines(fake, 2)), ['J1', 'J2']);
    assert.equal(provider.submits.length, 2, 'adopted, not sent again');
    assert.equal(provider.lists.length, 1);
    const [{ from, to }] = provider.lists;
    assert.equal(to - from, 1_000 + 2 * LIST_SLACK_MS, "the attempt's window with the clock slack either side");
  });

  it('ambiguous: nothing found in two listings (5 s apart, for listing lag): sends it again', TEST_LIMIT, async () => {
    const provider = new ScriptedProvider([accepted('J1'), ambiguous, accepted('J3')], [[], ['J1']]);
    const { fake } = setup(provider);
    assert.deepEqual(jobsOf(await pipelines(fake, 2)), ['J1', 'J3']);
    assert.equal(provider.submits.length, 3);
    assert.equal(provider.lists.length, 2);
    assert.equal(provider.lists[1].lastListAt, 100_000, 'the second listing waits out the list rate after the first');
  });

  it('ambiguous: more than one unknown job: fails SubmitOutcomeUnknown without guessing or sending again', TEST_LIMIT, async () => {
    const provider = new ScriptedProvider([ambiguous], [['J5', 'J6']]);
    const { fake } = setup(provider);
    const [error] = await pipelines(fake);
    assert.ok(error instanceof WorkflowFailedError);
    assert.equal(rootCause(error).type, ErrorTypes.SubmitOutcomeUnknown);
    assert.match(rootCause(error).message ?? '', /2 unknown jobs \(J5, J6\).*another client submits on this account/);
    assert.equal(provider.submits.length, 1);
    assert.equal(fake.count('withdrawSubmit'), 0, 'answered with an error: nothing to withdraw or cancel');
  });

  it(
    'a submit whose activity failed (its worker died mid-call) is ambiguous too: reconciled, not retried blindly',
    TEST_LIMIT,
    async () => {
      const provider = new ScriptedProvider(['crash'], [['J4']]);
      const { fake } = setup(provider);
      const [result] = await pipelines(fake);
      assert.equal(jobOf(result), 'J4');
      assert.equal(provider.submits.length, 1);
      assert.equal(provider.lists.length, 1);
    },
  );

  it('busy (throttling, 5xx with a code): waits on a durable timer and sends again, never listing', TEST_LIMIT, async () => {
    const busy: ProviderSubmitOutcome = { outcome: 'busy', code: 'Throttling.User', message: 'flow control', sentAt: 7_000 };
    const provider = new ScriptedProvider([busy, busy, accepted('J1')]);
    const { fake } = setup(provider);
    const [result] = await pipelines(fake);
    assert.equal(jobOf(result), 'J1');
    assert.equal(provider.submits.length, 3);
    assert.equal(provider.submits[2].lastSentAt, 7_000, 'retries keep the pace');
    assert.equal(provider.lists.length, 0, 'a clean refusal is not reconciled');
  });

  it('refused (parameters, credentials): fails the request with its type, never listing', TEST_LIMIT, async () => {
    const refused: ProviderSubmitOutcome = { outcome: 'refused', type: ErrorTypes.ProviderAuth, message: 'bad key' };
    const provider = new ScriptedProvider([refused]);
    const { fake } = setup(provider);
    const [error] = await pipelines(fake);
    assert.equal(rootCause(error).type, ErrorTypes.ProviderAuth);
    assert.equal(provider.lists.length, 0);
  });

  it('a repeated request makes one job; a requester that has gone away gets its job cancelled', TEST_LIMIT, async () => {
    const { entered, first, provider } = busyWithFirst();
    const { fake, account } = setup(provider);
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      await signalLane(account, taskQueue, orphanRequest());
      await entered.wait; // the lane is busy with the first request
      const repeated = orphanRequest();
      await signalLane(account, taskQueue, repeated);
      await signalLane(account, taskQueue, repeated);
      first.open();
      await until('both jobs cancelled', () => provider.cancels.length === 2);
    });
    assert.equal(provider.submits.length, 2, 'the repeated request was submitted once');
    assert.deepEqual(provider.cancels, ['J1', 'J2']);
  });

  it('withdrawn while queued: never sent; withdrawn while in flight: its job is cancelled', TEST_LIMIT, async () => {
    const { entered, first, provider } = busyWithFirst();
    const { fake, account } = setup(provider);
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const inFlight = orphanRequest(1);
      const queued = orphanRequest(2);
      await signalLane(account, taskQueue, inFlight);
      await entered.wait;
      await signalLane(account, taskQueue, queued);
      const lane = suite.env.client.workflow.getHandle(submitLaneId(account));
      await lane.signal(withdrawSubmitSignal, { requestId: queued.requestId });
      await lane.signal(withdrawSubmitSignal, { requestId: inFlight.requestId });
      first.open();
      await until('the in-flight job cancelled', () => provider.cancels.length === 1);
      const status = await lane.query(laneStatusQuery);
      assert.equal(status.queued, 0);
    });
    assert.deepEqual(
      provider.submits.map((s) => s.bitRateMbps),
      [1],
      'the queued request was never sent',
    );
    assert.deepEqual(provider.cancels, ['J1']);
  });

  it('continues as new within its budget, carrying its queue and what it answered (a repeat is still recognised)', TEST_LIMIT, async () => {
    const provider = new ScriptedProvider([]);
    const { fake, account } = setup(provider);
    const requests = [1, 2, 3, 4, 5].map((b) => orphanRequest(b));
    const firstRun = await suite.workers.run(fake.activities(), async (taskQueue) => {
      const carried: LaneState = { queue: [], answered: [], cancels: [], requestsPerRun: 2 };
      const started = await suite.env.client.workflow.signalWithStart(submitLane, {
        workflowId: submitLaneId(account),
        taskQueue,
        args: [carried],
        signal: submitRequestSignal,
        signalArgs: [requests[0]],
      });
      for (const r of requests.slice(1, 4)) await signalLane(account, taskQueue, r);
      await until('four jobs made and cancelled', () => provider.cancels.length === 4);
      // Requests are served in order: had the repeat been queued again, it would be sent before the fifth.
      await signalLane(account, taskQueue, requests[0]);
      await signalLane(account, taskQueue, requests[4]);
      await until('the fifth job cancelled', () => provider.cancels.length === 5);
      return started.signaledRunId;
    });
    const first = await suite.env.client.workflow.getHandle(submitLaneId(account), firstRun).fetchHistory();
    assert.ok(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, 'the first run continued as new');
    assert.deepEqual(
      provider.submits.map((s) => s.bitRateMbps),
      [1, 2, 3, 4, 5],
      'each request sent once, the repeat after continue-as-new included',
    );
  });
  // One submitInOrder call sends a run of queued requests, each outcome signalled to the lane before the next send.
  describe('sending in order', () => {
    /** A requester that is still there (an idle lane of another account): replies to it are accepted, so its job stays. */
    async function liveRequester(taskQueue: string): Promise<SubmitRequest['requester']> {
      const h = await suite.env.client.workflow.start(submitLane, { taskQueue, workflowId: `requester-${randomUUID()}`, args: [] });
      return { workflowId: h.workflowId, runId: h.firstExecutionRunId };
    }

    /** Replies the lane has sent so far (to whichever requester), from its history. */
    async function repliesSent(account: string): Promise<number> {
      const history = await suite.env.client.workflow.getHandle(submitLaneId(account)).fetchHistory();
      return (history.events ?? []).filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'submitReply')
        .length;
    }

    /**
     * Request A goes out alone and is held; the rest queue up meanwhile (and go out in the next call together).
     */
    async function afterHeldFirst(
      first: ReturnType<typeof held>,
      account: string,
      taskQueue: string,
      rest: SubmitRequest[],
    ): Promise<void> {
      await signalLane(account, taskQueue, orphanRequest(1));
      await first.entered;
      for (const r of rest) await signalLane(account, taskQueue, r);
      first.release();
    }

    /**
     * Runs `provider` with orphaned requests (their requesters gone) at `bitRates` queued behind A, held first;
     * `during` runs meanwhile; ends once `cancels` jobs were cancelled (each made job is unwanted).
     */
    async function runBehindHeld(
      a: ReturnType<typeof held>,
      provider: ScriptedProvider,
      bitRates: number[],
      cancels: number,
      during?: (account: string) => Promise<void>,
    ): Promise<void> {
      const { fake, account } = setup(provider);
      await suite.workers.run(fake.activities(), async (taskQueue) => {
        await afterHeldFirst(
          a,
          account,
          taskQueue,
          bitRates.map((b) => orphanRequest(b)),
        );
        await during?.(account);
        await until('every (unwanted) job cancelled', () => provider.cancels.length === cancels);
      });
    }

    it('queued requests go out in one call, each reply sent as its outcome arrives, not at the end of the call', TEST_LIMIT, async () => {
      const a = held('JA');
      const d = held('JD');
      const provider = new ScriptedProvider([a.step, accepted('JB'), accepted('JC'), d.step, accepted('JE')]);
      await runBehindHeld(a, provider, [2, 3, 4, 5], 5, async (account) => {
        await d.entered; // the second call is sending D: A, B and C are answered already
        // Well inside the call's 15 s heartbeat timeout, after which its end would let replies out anyway.
        await until('A, B and C replied to while the call still sends D', async () => (await repliesSent(account)) === 3, 10_000);
        d.release();
      });
      assert.deepEqual(provider.calls, [1, 4], 'A alone, then B..E in one call');
      assert.deepEqual(
        provider.submits.map((s) => s.bitRateMbps),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(
        provider.submits.map((s) => s.lastSentAt),
        [undefined, 1_000, 1_000, 1_000, 1_000],
        'each send is paced after the one before it, within the call and across calls',
      );
      assert.equal(provider.lists.length, 0);
    });

    /** B, C accepted, then the call dies sending D: D is ambiguous from C's send on, E was never sent. */
    function diesAtD(listings: string[][]) {
      const a = held('JA');
      const provider = new ScriptedProvider(
        [a.step, { ...accepted('JB'), sentAt: 5_000 }, { ...accepted('JC'), sentAt: 6_000 }, 'crash'],
        listings,
      );
      return { a, provider };
    }

    /** Runs diesAtD with orphaned requests B-E behind A until every job made is cancelled; its provider. */
    async function runDiesAtD(listings: string[][]): Promise<ScriptedProvider> {
      const { a, provider } = diesAtD(listings);
      await runBehindHeld(a, provider, [2, 3, 4, 5], 5);
      return provider;
    }

    it(
      'a call that dies after k outcomes: request k+1 adopts the one unknown job of its window, the rest go again unsent',
      TEST_LIMIT,
      async () => {
        const provider = await runDiesAtD([['JB', 'JC', 'JD']]);
        assert.deepEqual(provider.calls, [1, 4, 1], 'E went out in a call of its own after D was settled');
        assert.deepEqual(
          provider.submits.map((s) => s.bitRateMbps),
          [1, 2, 3, 4, 5],
          'D adopted, not sent again; E sent once',
        );
        assert.equal(provider.lists.length, 1);
        assert.equal(provider.lists[0].from, 6_000 - LIST_SLACK_MS, "D's window starts at the last recorded send (C's)");
        assert.ok(provider.lists[0].to > provider.lists[0].from);
        assert.deepEqual([...provider.cancels].sort(), ['J5', 'JA', 'JB', 'JC', 'JD']);
      },
    );

    it('a call that dies after k outcomes: nothing found twice, request k+1 is sent again, before the rest', TEST_LIMIT, async () => {
      const provider = await runDiesAtD([['JB', 'JC'], []]);
      assert.deepEqual(provider.calls, [1, 4, 2]);
      assert.deepEqual(
        provider.submits.map((s) => s.bitRateMbps),
        [1, 2, 3, 4, 4, 5],
      );
      assert.equal(provider.lists.length, 2);
    });

    it(
      'busy mid-call: the rest go back unsent (a withdrawn one dropped), and after a durable wait the busy one goes first',
      TEST_LIMIT,
      async () => {
        const a = held('JA');
        const c = held({ outcome: 'busy', code: 'Throttling.User', message: 'flow control', sentAt: 7_000 });
        const provider = new ScriptedProvider([a.step, accepted('JB'), c.step]);
        const { fake, account } = setup(provider);
        await suite.workers.run(fake.activities(), async (taskQueue) => {
          const [b, cReq, d, e] = [2, 3, 4, 5].map((bitRateMbps) => orphanRequest(bitRateMbps));
          await afterHeldFirst(a, account, taskQueue, [b, cReq, d, e]);
          await c.entered;
          await suite.env.client.workflow.getHandle(submitLaneId(account)).signal(withdrawSubmitSignal, { requestId: d.requestId });
          c.release();
          await until('every (unwanted) job cancelled', () => provider.cancels.length === 4);
        });
        assert.deepEqual(provider.calls, [1, 4, 2]);
        assert.deepEqual(
          provider.submits.map((s) => s.bitRateMbps),
          [1, 2, 3, 3, 5],
          'C sent again; D, withdrawn before it was sent, never sent',
        );
        assert.equal(provider.submits[3].lastSentAt, 7_000, 'the busy send counts for the pace');
        assert.equal(provider.lists.length, 0, 'a clean refusal is not reconciled');
      },
    );

    it('refused mid-call: that request fails with its type and the call goes on', TEST_LIMIT, async () => {
      const a = held('JA');
      const refused: ProviderSubmitOutcome = {
        outcome: 'refused',
        type: ErrorTypes.ProviderRejected,
        message: 'bad bitrate',
        sentAt: 1_000,
      };
      const provider = new ScriptedProvider([a.step, accepted('JB'), refused, accepted('JD')]);
      await runBehindHeld(a, provider, [2, 3, 4], 3, async (account) => {
        await until('four replies sent', async () => (await repliesSent(account)) === 4);
      });
      assert.deepEqual(provider.calls, [1, 3]);
      assert.deepEqual([...provider.cancels].sort(), ['JA', 'JB', 'JD']);
      assert.equal(provider.lists.length, 0);
    });

    it(
      'withdrawn while its call runs: still sent (the call cannot be told), its job cancelled; the others keep theirs',
      TEST_LIMIT,
      async () => {
        const a = held('JA');
        const c = held('JC');
        const provider = new ScriptedProvider([a.step, accepted('JB'), c.step, accepted('JD')]);
        const { fake, account } = setup(provider);
        await suite.workers.run(fake.activities(), async (taskQueue) => {
          const requester = await liveRequester(taskQueue);
          const [b, cReq, d] = [2, 3, 4].map((bitRateMbps) => ({ ...orphanRequest(bitRateMbps), requester }));
          await signalLane(account, taskQueue, { ...orphanRequest(1), requester });
          await a.entered;
          for (const r of [b, cReq, d]) await signalLane(account, taskQueue, r);
          a.release();
          await c.entered; // the call is sending C; D waits behind it
          const lane = suite.env.client.workflow.getHandle(submitLaneId(account));
          await lane.signal(withdrawSubmitSignal, { requestId: cReq.requestId });
          await lane.signal(withdrawSubmitSignal, { requestId: d.requestId });
          c.release();
          await until('the withdrawn jobs cancelled', () => provider.cancels.length === 2);
        });
        assert.deepEqual(provider.calls, [1, 3]);
        assert.deepEqual(
          provider.submits.map((s) => s.bitRateMbps),
          [1, 2, 3, 4],
        );
        assert.deepEqual([...provider.cancels].sort(), ['JC', 'JD'], 'only the withdrawn requests lost their jobs');
      },
    );
  });
});

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
      submitInOrder: (input) => sendInOrder(input, { send: this.send, lane: laneLink({}), now: Date.now, spacingMs: 0 }),
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

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
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
});

// Every branch of superResolveVideo, with stub activities on the time-skipping test server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Compensation } from '../../workflows/compensations';
import { ErrorTypes, type Stage, type SuperResolveInput, type SuperResolveResult } from '../../workflows/contract';
import { progressQuery, transferProgressSignal } from '../../workflows/signals';
import { superResolveVideo } from '../../workflows/superResolve';
import type { SubmitRequest } from '../../workflows/submitLaneContract';
import { FakeActivities } from '../harness/fakeActivities';
import { blockUntilCancelled, gate, rootCause, stubSuite, untilEvent, userFailure } from '../harness/workflowEnv';

const INPUT: SuperResolveInput = {
  source: { kind: 'local', path: '/videos/a.mp4' },
  destination: { kind: 'local', path: '/videos/a.x2.mp4' },
  bitRateMbps: 3,
};
const URL_SOURCE = { kind: 'url' as const, url: 'http://127.0.0.1:1/a.mp4' };

describe('superResolveVideo workflow', () => {
  const suite = stubSuite();
  let n = 0;

  function start(
    taskQueue: string,
    input: SuperResolveInput = INPUT,
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof superResolveVideo>> {
    return suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `wf-${++n}`, args: [input] });
  }

  /** Runs one workflow to its end with the fake; returns its result or its failure. */
  async function run(fake: FakeActivities, input: SuperResolveInput = INPUT): Promise<{ result?: SuperResolveResult; error?: unknown }> {
    return suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await start(taskQueue, input);
      return handle.result().then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
    });
  }

  function failureType(error: unknown): string | undefined {
    assert.ok(error instanceof WorkflowFailedError, `expected a workflow failure, got ${String(error)}`);
    return rootCause(error).type;
  }

  it('runs validate, upload, submit, polls, download and cleanup in order, and reports the result', async () => {
    const fake = new FakeActivities();
    fake.jobs = [['QUEUING', 'PROCESSING', 'PROCESSING', 'PROCESS_SUCCESS']];
    const { result } = await run(fake);
    assert.deepEqual(fake.names(), [
      'validateInput',
      'uploadSource',
      'requestSubmit',
      'pollJob',
      'pollJob',
      'pollJob',
      'pollJob',
      'downloadResult',
      'removeTemporaryObjects',
    ]);
    assert.equal(result?.jobId, 'J1');
    assert.deepEqual([result?.width, result?.height, result?.bitRateBps], [1280, 720, 3_000_000]);
    assert.equal(fake.inputsOf<SubmitRequest>('requestSubmit')[0].bitRateMbps, 3);
    assert.ok((result?.timings.polling ?? 0) > 0, 'polling time counted');
  });

  it('skips the upload and its cleanup when the provider reads the source itself', async () => {
    const fake = new FakeActivities();
    fake.providerSource = URL_SOURCE;
    const { result } = await run(fake, { ...INPUT, source: URL_SOURCE });
    assert.ok(result);
    assert.deepEqual(fake.names(), ['validateInput', 'requestSubmit', 'pollJob', 'pollJob', 'downloadResult']);
  });

  it('fails a user error at validation without uploading, submitting or undoing anything', async () => {
    const fake = new FakeActivities({
      validateInput: async () => {
        throw userFailure(ErrorTypes.ResolutionOutOfRange, 'source.resolution 320x240 is out of range');
      },
    });
    const { error } = await run(fake);
    assert.equal(failureType(error), ErrorTypes.ResolutionOutOfRange);
    assert.deepEqual(fake.names(), ['validateInput'], 'validate is not retried either');
  });

  for (const [status, type] of [
    ['PROCESS_FAILED', ErrorTypes.ProviderJobFailed],
    ['TIMEOUT_FAILED', ErrorTypes.ProviderJobTimedOut],
    ['JOB_CANCELED', ErrorTypes.ProviderJobCanceled],
  ] as const) {
    it(`maps a job ending ${status} to ${type} and removes the temporary upload`, async () => {
      const fake = new FakeActivities();
      fake.jobs = [['PROCESSING', status]];
      const { error } = await run(fake);
      assert.equal(failureType(error), type);
      assert.match(rootCause(error).message ?? '', new RegExp(`J1`));
      assert.deepEqual(fake.names().slice(-2), ['pollJob', 'removeTemporaryObjects']);
    });
  }

  for (const type of [ErrorTypes.ProviderRejected, ErrorTypes.ProviderAuth]) {
    it(`fails at once when the lane answers that the submit was refused with ${type}, undoing the upload`, async () => {
      const fake = new FakeActivities();
      fake.laneReply = (r) => ({ requestId: r.requestId, error: { type, message: 'refused' } });
      const { error } = await run(fake);
      assert.equal(failureType(error), type);
      assert.deepEqual(
        fake.names(),
        ['validateInput', 'uploadSource', 'requestSubmit', 'removeTemporaryObjects'],
        'no job: nothing to cancel',
      );
    });
  }

  it('fails with ProviderJobFailed when the provider no longer knows the job', async () => {
    const fake = new FakeActivities({
      pollJob: async () => {
        throw userFailure(ErrorTypes.ProviderJobFailed, 'provider no longer knows job J1');
      },
    });
    const { error } = await run(fake);
    assert.equal(failureType(error), ErrorTypes.ProviderJobFailed);
    assert.equal(fake.count('pollJob'), 1, 'not retried');
  });

  it('resubmits after LIMIT_RETRY_FAILED once the delay has passed, as a new request', async () => {
    const fake = new FakeActivities();
    fake.jobs = [['LIMIT_RETRY_FAILED'], ['PROCESSING', 'PROCESS_SUCCESS']];
    const { result } = await run(fake, { ...INPUT, resubmitDelayMs: 120_000 });
    assert.equal(result?.jobId, 'J2');
    const submits = fake.calls.filter((c) => c.name === 'requestSubmit');
    const [first, second] = submits.map((c) => (c.input as SubmitRequest).requestId);
    assert.match(first, /-1$/);
    assert.equal(second, first.replace(/-1$/, '-2'), 'a new request id: the lane makes a new job');
    const polled = fake.calls.filter((c) => c.name === 'pollJob')[0].scheduledAt;
    assert.ok(submits[1].scheduledAt - polled >= 120_000, 'the resubmit waited for the delay');
  });

  it('gives up with ProviderRetryLimit after the allowed resubmits', async () => {
    const fake = new FakeActivities();
    fake.jobs = [['LIMIT_RETRY_FAILED']];
    const { error } = await run(fake, { ...INPUT, maxResubmits: 2 });
    assert.equal(failureType(error), ErrorTypes.ProviderRetryLimit);
    assert.equal(fake.count('requestSubmit'), 3);
    assert.equal(fake.names().at(-1), 'removeTemporaryObjects');
    assert.equal(fake.count('cancelJob'), 0, 'an ended job is not cancelled');
  });

  it('fails with DeadlineExceeded when the job outlasts the deadline, cleaning up', async () => {
    const fake = new FakeActivities();
    fake.jobs = [['PROCESSING']];
    const deadline = new Date((await suite.env.currentTimeMs()) + 30 * 60_000).toISOString();
    const { error } = await run(fake, { ...INPUT, deadline });
    assert.equal(failureType(error), ErrorTypes.DeadlineExceeded);
    assert.match(rootCause(error).message ?? '', /during polling/);
    assert.ok(fake.count('pollJob') > 5, 'polled until the deadline');
    assert.deepEqual(fake.names().slice(-2), ['cancelJob', 'removeTemporaryObjects']);
  });

  for (const [status, told] of [
    ['QUEUING', /provider job J1 was cancelled while it waited \(not billed\)/],
    ['PROCESSING', /provider job J1 was already PROCESSING: the provider finishes it \(billed\), vsr discards its output/],
  ] as const) {
    it(`past its deadline while the job is ${status}: cancels what still waits, says what became of the job`, async () => {
      const fake = new FakeActivities();
      fake.jobs = [[status]];
      fake.cancelStatus = status === 'QUEUING' ? 'JOB_CANCELED' : 'PROCESSING';
      const deadline = new Date((await suite.env.currentTimeMs()) + 10 * 60_000).toISOString();
      const { error } = await run(fake, { ...INPUT, deadline });
      assert.equal(failureType(error), ErrorTypes.DeadlineExceeded);
      assert.match(rootCause(error).message ?? '', told);
      assert.deepEqual(fake.inputsOf('cancelJob'), [{ jobId: 'J1' }]);
      assert.deepEqual(fake.names().slice(-2), ['cancelJob', 'removeTemporaryObjects']);
    });
  }

  it('past its deadline while its request waits in the lane: withdraws the request', async () => {
    const fake = new FakeActivities();
    fake.laneReply = () => undefined;
    const deadline = new Date((await suite.env.currentTimeMs()) + 60_000).toISOString();
    const { error } = await run(fake, { ...INPUT, deadline });
    assert.equal(failureType(error), ErrorTypes.DeadlineExceeded);
    assert.match(rootCause(error).message ?? '', /during submitting/);
    const [request] = fake.inputsOf<SubmitRequest>('requestSubmit');
    assert.deepEqual(fake.inputsOf('withdrawSubmit'), [{ requestId: request.requestId }]);
    assert.deepEqual(fake.names().slice(-2), ['withdrawSubmit', 'removeTemporaryObjects']);
  });

  it('repeats its request when the lane has not answered for 10 minutes (a restarted lane learns of it)', async () => {
    const fake = new FakeActivities();
    fake.laneReply = (r, n) => (n === 1 ? undefined : { requestId: r.requestId, jobId: 'J7' });
    const { result } = await run(fake);
    assert.equal(result?.jobId, 'J7');
    const requests = fake.calls.filter((c) => c.name === 'requestSubmit');
    assert.equal(requests.length, 2);
    assert.equal((requests[0].input as SubmitRequest).requestId, (requests[1].input as SubmitRequest).requestId, 'the same request');
    assert.ok(requests[1].scheduledAt - requests[0].scheduledAt >= 10 * 60_000);
  });

  it('undoes newest-first: the partial output, then the temporary upload', async () => {
    const fake = new FakeActivities({
      downloadResult: async () => {
        throw userFailure(ErrorTypes.ProviderJobFailed, 'job J1 has no result to download');
      },
    });
    const { error } = await run(fake);
    assert.equal(failureType(error), ErrorTypes.ProviderJobFailed);
    assert.deepEqual(fake.names().slice(-3), ['downloadResult', 'removePartialOutput', 'removeTemporaryObjects']);
    const [undo] = fake.inputsOf<Compensation>('removeTemporaryObjects');
    assert.deepEqual(undo, { kind: 'removeTemporaryObjects', bucket: 'work', prefix: `vsr-tmp/wf-${n}/` });
  });

  it('keeps undoing when one undo step fails', async () => {
    const fake = new FakeActivities({
      downloadResult: async () => {
        throw userFailure(ErrorTypes.OutputInvalid, 'bad output');
      },
      removePartialOutput: async () => {
        throw userFailure('Broken', 'disk gone');
      },
    });
    const { error } = await run(fake);
    assert.equal(failureType(error), ErrorTypes.OutputInvalid, 'the original error, not the undo failure');
    assert.equal(fake.names().at(-1), 'removeTemporaryObjects');
  });

  it('continues as new within the poll budget, carrying the job, counters, timings and saga', async () => {
    const fake = new FakeActivities();
    fake.jobs = [['PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESS_SUCCESS']];
    const outcome = await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await start(taskQueue, { ...INPUT, pollsPerRun: 2 });
      const result = await handle.result();
      const latest = suite.env.client.workflow.getHandle(handle.workflowId);
      return {
        result,
        progress: await latest.query(progressQuery),
        runId: (await latest.describe()).runId,
        first: handle.firstExecutionRunId,
      };
    });
    assert.notEqual(outcome.runId, outcome.first, 'the result came from a later run');
    assert.deepEqual([outcome.progress.pollCount, outcome.progress.submits, outcome.progress.stage], [6, 1, 'done']);
    assert.equal(fake.count('requestSubmit'), 1, 'the job carried over: not submitted again');
    assert.equal(fake.names().at(-1), 'removeTemporaryObjects', 'the saga carried over');
    assert.ok((outcome.result.timings.uploading ?? 0) >= 0 && 'validating' in outcome.result.timings, 'first-run timings carried');
  });

  it('shows transfer progress reported by a running upload', async () => {
    const uploading = gate();
    const release = gate();
    const fake = new FakeActivities({
      uploadSource: async (input) => {
        uploading.open();
        await release.wait;
        return { bucket: input.bucket, key: input.key, sizeBytes: 100 };
      },
    });
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await start(taskQueue);
      await uploading.wait;
      await handle.signal(transferProgressSignal, { stage: 'uploading', bytesDone: 25, bytesTotal: 100 });
      await handle.signal(transferProgressSignal, { stage: 'downloading', bytesDone: 99, bytesTotal: 100 }); // late report of another stage
      const p = await handle.query(progressQuery);
      assert.deepEqual([p.stage, p.bytesDone, p.bytesTotal, p.percent], ['uploading', 25, 100, 25]);
      release.open();
      await handle.result();
    });
  });

  for (const [status, told] of [
    ['QUEUING', /provider job J1 was cancelled while it waited \(not billed\)/],
    ['PROCESSING', /provider job J1 was already PROCESSING: the provider finishes it \(billed\), vsr discards its output/],
  ] as const) {
    it(`cancelled between polls while the job is ${status}: cancels what still waits, removes the upload, tells the user`, async () => {
      const polled = gate();
      const fake = new FakeActivities({
        pollJob: async () => {
          polled.open();
          return { status };
        },
      });
      fake.cancelStatus = status === 'QUEUING' ? 'JOB_CANCELED' : 'PROCESSING';
      const progress = await suite.workers.run(fake.activities(), async (taskQueue) => {
        // Time stands still unless a test lets it move: skip just past the first poll's timer, then cancel in the second.
        const handle = await start(taskQueue);
        await untilEvent(handle, (e) => Boolean(e.timerStartedEventAttributes));
        await suite.env.sleep('3s');
        await polled.wait;
        await untilEvent(handle, (e) => Boolean(e.timerStartedEventAttributes), 2);
        await handle.cancel();
        assert.equal(rootCause(await handle.result().catch((e: unknown) => e)).name, 'CancelledFailure');
        return handle.query(progressQuery);
      });
      assert.equal(fake.count('pollJob'), 1, 'cancelled in the timer, before a second poll');
      assert.deepEqual(fake.inputsOf('cancelJob'), [{ jobId: 'J1' }]);
      assert.deepEqual(fake.names().slice(-2), ['cancelJob', 'removeTemporaryObjects']);
      assert.match(progress.error ?? '', told);
    });
  }

  it('cancelled while its request waits in the lane: withdraws it (nothing sent, nothing paid)', async () => {
    const fake = new FakeActivities();
    fake.laneReply = () => undefined;
    await suite.workers.run(fake.activities(), async (taskQueue) => {
      const handle = await start(taskQueue);
      await untilEvent(handle, (e) => Boolean(e.activityTaskCompletedEventAttributes), 3);
      await handle.cancel();
      assert.equal(rootCause(await handle.result().catch((e: unknown) => e)).name, 'CancelledFailure');
    });
    const [request] = fake.inputsOf<SubmitRequest>('requestSubmit');
    assert.deepEqual(fake.inputsOf('withdrawSubmit'), [{ requestId: request.requestId }]);
    assert.deepEqual(fake.names().slice(-2), ['withdrawSubmit', 'removeTemporaryObjects']);
  });
});

describe('superResolveVideo workflow, cancelled during each activity', () => {
  const suite = stubSuite();
  let n = 0;

  // Order matters: the test server stops skipping time for good when an activity reports its cancellation after
  // its workflow closed, which can happen to the activities the workflow does not wait for (all but the transfers).
  // So the transfers go first, then pollJob (the only one that needs a timer skipped to be reached).
  const undone: Record<string, string[]> = {
    uploadSource: ['removeTemporaryObjects'],
    downloadResult: ['removePartialOutput', 'removeTemporaryObjects'],
    pollJob: ['cancelJob', 'removeTemporaryObjects'],
    validateInput: [],
    requestSubmit: ['withdrawSubmit', 'removeTemporaryObjects'],
  };
  for (const [activity, undos] of Object.entries(undone)) {
    it(`cancelled during ${activity}: ends CANCELLED after undoing ${undos.join(', ') || 'nothing'}`, async () => {
      const entered = gate();
      const fake = new FakeActivities({ [activity]: () => blockUntilCancelled(entered.open) });
      const stage = await suite.workers.run(fake.activities(), async (taskQueue) => {
        const handle = await suite.env.client.workflow.start(superResolveVideo, { taskQueue, workflowId: `cancel-${++n}`, args: [INPUT] });
        const ended = handle.result().catch((e: unknown) => e);
        await entered.wait;
        await handle.cancel();
        const error = await ended;
        assert.ok(error instanceof WorkflowFailedError);
        assert.equal(rootCause(error).name, 'CancelledFailure');
        assert.equal((await handle.describe()).status.name, 'CANCELLED');
        return (await handle.query(progressQuery)).stage;
      });
      assert.equal(stage, 'failed' satisfies Stage);
      const after = fake.names().slice(fake.names().lastIndexOf(activity) + 1);
      assert.deepEqual(after, undos);
    });
  }
});

// validate -> upload -> submit -> durable-timer polling -> download-before-expiry, with a saga of undos.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProviderSource } from '../activities/types';
import { describeCompensation, type Compensation } from './compensations';
import { ErrorTypes, type JobStatus, type SuperResolveInput, type SuperResolveResult } from './contract';
import { innermostCause } from './failureMessage';
import { temporaryPrefix } from './locations';
import { PipelineRun, type CarriedState } from './pipelineRun';
import { pollDelayMs } from './pollSchedule';
import { VSR_PROVIDER } from './searchAttributes';
import { progressQuery, submitReplySignal, transferProgressSignal } from './signals';
import type { SubmitReply } from './submitLaneContract';

export type { CarriedState } from './pipelineRun';

type Activities = ReturnType<typeof createActivities>;

/** User errors: retrying cannot help, so they fail at once. */
const USER_ERRORS = [
  ErrorTypes.InvalidBitRate,
  ErrorTypes.InvalidSource,
  ErrorTypes.SourceNotFound,
  ErrorTypes.UnsupportedContainer,
  ErrorTypes.FileTooLarge,
  ErrorTypes.ResolutionOutOfRange,
  ErrorTypes.NonAsciiUrl,
  ErrorTypes.InvalidDestination,
  ErrorTypes.InvalidDeadline,
  ErrorTypes.DestinationExists,
  ErrorTypes.SourceNotAllowed,
];
const PROVIDER_FINAL_ERRORS = [ErrorTypes.ProviderRejected, ErrorTypes.ProviderAuth, ErrorTypes.ProviderJobFailed];

const { validateInput } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes', // ffprobe over a URL can be slow
  heartbeatTimeout: '15s', // a dead worker is noticed in seconds, not minutes
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: USER_ERRORS },
});

const { uploadSource } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours', // 1 GB over a slow link
  heartbeatTimeout: '15s', // a dead worker is noticed quickly; the retry resumes from the last part
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED, // undo only after it stops writing
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: USER_ERRORS,
  },
});

const { pollJob } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '15s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: PROVIDER_FINAL_ERRORS,
  },
});

// Reaching the account's submit lane (Temporal only, no provider call): quick, safe to repeat.
const { requestSubmit, withdrawSubmit } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5 minutes', // the lane recognises a repeated request for 15 minutes
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [ErrorTypes.ProviderAuth] },
});

const { cancelJob } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5, nonRetryableErrorTypes: PROVIDER_FINAL_ERRORS },
});

/** A pipeline still waiting for its lane's reply repeats its request this often (a restarted lane learns of it). */
const REREQUEST_MS = 10 * 60_000;

const { downloadResult } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [ErrorTypes.ProviderJobFailed],
  },
});

const { removeTemporaryObjects, removePartialOutput } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** The design card: start (validate, upload, submit), await the result, deliver it; on failure, compensate. */
export async function superResolveVideo(input: SuperResolveInput, carried?: CarriedState): Promise<SuperResolveResult> {
  const run = new PipelineRun(input, carried);
  setHandler(progressQuery, () => run.progress());
  setHandler(transferProgressSignal, (p) => run.transferred(p));
  setHandler(submitReplySignal, (r) => run.replied(r));
  try {
    if (carried) run.enter('polling');
    else await start(run);
    await awaitResult(run);
    return await deliver(run);
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // not a failure: the next run carries the saga on
    const final = await compensate(run, err);
    // A cancelled run ends cancelled, even when an activity died (timed out) instead of acknowledging the cancellation.
    if (CancellationScope.current().consideredCancelled && !isCancellation(final))
      throw new CancelledFailure('workflow cancelled', [], final as Error);
    throw final;
  }
}

/** Validate, upload what the provider cannot read itself, submit. */
async function start(run: PipelineRun): Promise<void> {
  const { input, workflowId } = run;
  run.enter('validating');
  const validated = await validateInput(input);
  upsertSearchAttributes([{ key: VSR_PROVIDER, value: validated.provider }]);
  run.facts = validated.facts;
  run.checkDeadline();
  run.providerSource = validated.providerSource;
  if (!run.providerSource) {
    run.enter('uploading');
    const prefix = temporaryPrefix(workflowId);
    // Registered before the upload: a half-finished multipart upload needs undoing too.
    run.saga.push({ kind: 'removeTemporaryObjects', bucket: validated.workBucket, prefix });
    const uploaded = await uploadSource({ workflowId, source: input.source, bucket: validated.workBucket, key: `${prefix}source` });
    run.providerSource = { kind: 'oss', bucket: uploaded.bucket, key: uploaded.key };
    run.checkDeadline();
  }
  await submit(run);
}

/** One submit (first, or after LIMIT_RETRY_FAILED) through the account's submit lane, which replies with the job. */
async function submit(run: PipelineRun): Promise<void> {
  run.enter('submitting');
  const request = run.newSubmitRequest(run.providerSource as ProviderSource);
  do {
    run.checkDeadline();
    await requestSubmit(request);
  } while (!(await condition(() => run.reply !== undefined, Math.max(1, Math.min(run.msUntilDeadline(), REREQUEST_MS)))));
  const reply = run.reply as SubmitReply;
  if ('error' in reply) throw ApplicationFailure.nonRetryable(reply.error.message, reply.error.type);
  run.jobSubmitted(reply.jobId);
  run.enter('polling');
}

/** Durable-timer polling: a timer, then a short poll activity, backing off to a cap; resubmits; continue-as-new. */
async function awaitResult(run: PipelineRun): Promise<void> {
  for (;;) {
    run.checkDeadline();
    await sleep(Math.max(1, Math.min(run.msUntilDeadline(), pollDelayMs(run.pollsThisRun, Math.random()))));
    const jobId = run.jobId as string;
    const polled = await pollJob({ jobId });
    run.polled(polled.status);
    if (polled.status === 'PROCESS_SUCCESS') return;
    if (polled.status === 'LIMIT_RETRY_FAILED') {
      await resubmitLater(run);
      continue;
    }
    if (polled.status !== 'QUEUING' && polled.status !== 'PROCESSING')
      throw jobFailure(polled.status, jobId, polled.errorCode, polled.errorMessage);
    if (run.pollsThisRun >= run.limits.pollsPerRun || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof superResolveVideo>(run.input, run.carry());
  }
}

/** The provider asked to submit again later: wait, then resubmit, a bounded number of times. */
async function resubmitLater(run: PipelineRun): Promise<void> {
  const { maxResubmits, resubmitDelayMs } = run.limits;
  if (run.resubmits >= maxResubmits)
    throw ApplicationFailure.nonRetryable(
      `provider asked to retry later ${run.resubmits + 1} times (job ${run.jobId}); giving up after ${maxResubmits} resubmits`,
      ErrorTypes.ProviderRetryLimit,
    );
  run.resubmits += 1;
  await sleep(resubmitDelayMs);
  await submit(run);
}

/** Download before the result URL expires, verified, then remove the temporaries. */
async function deliver(run: PipelineRun): Promise<SuperResolveResult> {
  const { input, workflowId, facts } = run;
  const jobId = run.jobId as string;
  run.checkDeadline();
  run.enter('downloading');
  run.saga.push({ kind: 'removePartialOutput', destination: input.destination, workflowId });
  const downloaded = await downloadResult({
    workflowId,
    jobId,
    destination: input.destination,
    overwrite: input.overwrite,
    expectedWidth: (facts?.width ?? 0) * 2,
    expectedHeight: (facts?.height ?? 0) * 2,
  });
  run.enter('cleaning-up');
  for (const c of run.saga.filter((c) => c.kind === 'removeTemporaryObjects')) {
    // Leftover temporaries must not fail a finished job; they are logged for a later sweep.
    await removeTemporaryObjects(c).catch((err) =>
      log.warn('temporary objects left behind', { compensation: describeCompensation(c), error: String(err) }),
    );
  }
  run.enter('done');
  const { width, height, durationSeconds, bitRate } = downloaded.facts;
  const { sizeBytes, sha256 } = downloaded;
  return {
    destination: input.destination,
    sizeBytes,
    sha256,
    width,
    height,
    durationSeconds,
    bitRateBps: bitRate,
    jobId,
    timings: run.timings,
  };
}

/**
 * Undo newest-first, even when the workflow was cancelled. Returns what to throw: the original error, with what
 * became of the provider job added to a failure's message (a cancellation stays a cancellation).
 */
async function compensate(run: PipelineRun, err: unknown): Promise<unknown> {
  run.failed(err);
  run.enter('cleaning-up');
  await CancellationScope.nonCancellable(async () => {
    for (const c of [...run.saga].reverse()) {
      try {
        await undo(run, c);
      } catch (undoErr) {
        log.error('compensation failed', { compensation: describeCompensation(c), error: String(undoErr) });
      }
    }
  });
  run.enter('failed');
  const notes = run.undoNotes();
  if (!notes || isCancellation(err)) return err;
  const cause = innermostCause(err);
  return ApplicationFailure.create({ type: cause?.type, message: `${cause?.message ?? String(err)}; ${notes}`, nonRetryable: true });
}

async function undo(run: PipelineRun, c: Compensation): Promise<unknown> {
  switch (c.kind) {
    case 'removeTemporaryObjects':
      return removeTemporaryObjects(c);
    case 'removePartialOutput':
      return removePartialOutput(c);
    case 'cancelSubmit':
      if (!c.jobId) return withdrawSubmit({ requestId: c.requestId });
      return run.jobUndone(c.jobId, (await cancelJob({ jobId: c.jobId })).status);
  }
}

function jobFailure(status: JobStatus, jobId: string, code?: string, message?: string): ApplicationFailure {
  const detail = `${code ?? 'no code'}: ${message ?? 'no message'}`;
  switch (status) {
    case 'TIMEOUT_FAILED':
      return ApplicationFailure.nonRetryable(`provider job ${jobId} timed out (${detail})`, ErrorTypes.ProviderJobTimedOut);
    case 'JOB_CANCELED':
      return ApplicationFailure.nonRetryable(`provider job ${jobId} was cancelled (${detail})`, ErrorTypes.ProviderJobCanceled);
    default:
      return ApplicationFailure.nonRetryable(`provider job ${jobId} failed with ${status} (${detail})`, ErrorTypes.ProviderJobFailed);
  }
}

// validate -> upload -> submit -> durable-timer polling -> download-before-expiry, with a saga of undos.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
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
import {
  ErrorTypes,
  submitTaskQueue,
  type JobStatus,
  type Progress,
  type Stage,
  type SuperResolveInput,
  type SuperResolveResult,
  type VideoFacts,
} from './contract';
import { MAX_RESUBMITS, POLLS_PER_RUN, RESUBMIT_DELAY_MS, pollDelayMs } from './pollSchedule';
import { VSR_PROVIDER, VSR_STAGE } from './searchAttributes';
import { progressQuery, transferProgressSignal } from './signals';

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

/** What a run hands to the next one through continue-as-new. */
export interface CarriedState {
  facts: VideoFacts;
  providerSource: ProviderSource;
  jobId: string;
  knownJobIds: string[];
  resubmits: number;
  pollCount: number;
  submits: number;
  timings: SuperResolveResult['timings'];
  compensations: Compensation[];
}

export async function superResolveVideo(input: SuperResolveInput, carried?: CarriedState): Promise<SuperResolveResult> {
  const { workflowId, taskQueue } = workflowInfo();
  const { submitJob } = proxyActivities<Activities>({
    taskQueue: submitTaskQueue(taskQueue), // rate-limited queue: the provider allows about 2 submits/s per account
    scheduleToStartTimeout: '1 hour', // waiting in line for the rate limit is fine; no submit worker at all is not
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '15s',
    // Each retry first reconciles with QueryAsyncJobList, so a retry never pays twice.
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 20,
      nonRetryableErrorTypes: PROVIDER_FINAL_ERRORS,
    },
  });
  const progress: Progress = {
    stage: carried ? 'polling' : 'validating',
    bytesDone: 0,
    bytesTotal: 0,
    percent: 0,
    pollCount: carried?.pollCount ?? 0,
    submits: carried?.submits ?? 0,
    jobId: carried?.jobId,
  };
  const timings: SuperResolveResult['timings'] = { ...carried?.timings };
  const compensations: Compensation[] = [...(carried?.compensations ?? [])];
  let stageStarted = Date.now();

  setHandler(progressQuery, () => progress);
  setHandler(transferProgressSignal, (p) => {
    if (p.stage !== progress.stage) return; // a late report from a finished stage
    progress.bytesDone = p.bytesDone;
    progress.bytesTotal = p.bytesTotal;
    progress.percent = p.bytesTotal > 0 ? Math.round((1000 * p.bytesDone) / p.bytesTotal) / 10 : 0;
  });

  function enter(stage: Stage): void {
    const now = Date.now();
    if (progress.stage !== stage) timings[progress.stage] = (timings[progress.stage] ?? 0) + (now - stageStarted);
    stageStarted = now;
    Object.assign(progress, { stage, bytesDone: 0, bytesTotal: 0, percent: stage === 'done' ? 100 : 0 });
    upsertSearchAttributes([{ key: VSR_STAGE, value: stage }]);
  }

  const deadline = input.deadline ? Date.parse(input.deadline) : undefined;
  function checkDeadline(): void {
    if (deadline !== undefined && Date.now() > deadline) {
      throw ApplicationFailure.nonRetryable(`deadline ${input.deadline} passed during ${progress.stage}`, ErrorTypes.DeadlineExceeded);
    }
  }

  try {
    let state: CarriedState;
    if (carried) {
      state = carried;
      enter('polling');
    } else {
      enter('validating');
      const validated = await validateInput(input);
      upsertSearchAttributes([{ key: VSR_PROVIDER, value: validated.provider }]);
      checkDeadline();

      let providerSource = validated.providerSource;
      if (!providerSource) {
        enter('uploading');
        const prefix = `vsr-tmp/${workflowId}/`;
        // Registered before the upload: a half-finished multipart upload needs undoing too.
        compensations.push({ kind: 'removeTemporaryObjects', bucket: validated.workBucket, prefix });
        const uploaded = await uploadSource({ workflowId, source: input.source, bucket: validated.workBucket, key: `${prefix}source` });
        providerSource = { kind: 'oss', bucket: uploaded.bucket, key: uploaded.key };
        checkDeadline();
      }

      enter('submitting');
      const submitted = await submitJob({ workflowId, providerSource, bitRate: input.bitRate, notBefore: Date.now(), excludeJobIds: [] });
      progress.submits += 1;
      progress.jobId = submitted.jobId;
      state = {
        facts: validated.facts,
        providerSource,
        jobId: submitted.jobId,
        knownJobIds: [submitted.jobId],
        resubmits: 0,
        pollCount: 0,
        submits: progress.submits,
        timings,
        compensations,
      };
      enter('polling');
    }

    // Durable-timer polling: a timer, then a short poll activity, backing off to a cap.
    let pollsThisRun = 0;
    for (;;) {
      checkDeadline();
      const remaining = deadline === undefined ? Infinity : deadline - Date.now();
      await sleep(Math.max(1, Math.min(remaining, pollDelayMs(pollsThisRun, Math.random()))));
      const result = await pollJob({ jobId: state.jobId });
      state.pollCount += 1;
      pollsThisRun += 1;
      progress.pollCount = state.pollCount;
      progress.providerStatus = result.status;
      if (result.status === 'PROCESS_SUCCESS') break;
      if (result.status === 'LIMIT_RETRY_FAILED') {
        if (state.resubmits >= MAX_RESUBMITS) {
          throw ApplicationFailure.nonRetryable(
            `provider asked to retry later ${state.resubmits + 1} times (job ${state.jobId}); giving up after ${MAX_RESUBMITS} resubmits`,
            ErrorTypes.ProviderRetryLimit,
          );
        }
        state.resubmits += 1;
        await sleep(RESUBMIT_DELAY_MS);
        enter('submitting');
        const again = await submitJob({
          workflowId,
          providerSource: state.providerSource,
          bitRate: input.bitRate,
          notBefore: Date.now(),
          excludeJobIds: state.knownJobIds,
        });
        state.submits += 1;
        progress.submits = state.submits;
        state.jobId = again.jobId;
        state.knownJobIds.push(again.jobId);
        progress.jobId = again.jobId;
        enter('polling');
        continue;
      }
      if (result.status !== 'QUEUING' && result.status !== 'PROCESSING')
        throw jobFailure(result.status, state.jobId, result.errorCode, result.errorMessage);
      if (pollsThisRun >= Math.max(1, input.pollsPerRun ?? POLLS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
        timings.polling = (timings.polling ?? 0) + (Date.now() - stageStarted);
        await continueAsNew<typeof superResolveVideo>(input, { ...state, timings, compensations });
      }
    }

    checkDeadline();
    enter('downloading');
    compensations.push({ kind: 'removePartialOutput', destination: input.destination, workflowId });
    const downloaded = await downloadResult({
      workflowId,
      jobId: state.jobId,
      destination: input.destination,
      expectedWidth: state.facts.width * 2,
      expectedHeight: state.facts.height * 2,
    });

    enter('cleaning-up');
    for (const c of compensations.filter((c) => c.kind === 'removeTemporaryObjects')) {
      // Leftover temporaries must not fail a finished job; they are logged for a later sweep.
      await removeTemporaryObjects(c).catch((err) =>
        log.warn('temporary objects left behind', { compensation: describeCompensation(c), error: String(err) }),
      );
    }
    enter('done');
    return {
      destination: input.destination,
      sizeBytes: downloaded.sizeBytes,
      sha256: downloaded.sha256,
      width: downloaded.facts.width,
      height: downloaded.facts.height,
      durationSeconds: downloaded.facts.durationSeconds,
      bitRate: downloaded.facts.bitRate,
      jobId: state.jobId,
      timings,
    };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // not a failure: the next run carries the saga on
    progress.error = err instanceof Error ? err.message : String(err);
    enter('cleaning-up');
    // Undo newest-first, even when the workflow was cancelled; the caller sees the original error.
    await CancellationScope.nonCancellable(async () => {
      for (const c of [...compensations].reverse()) {
        try {
          if (c.kind === 'removeTemporaryObjects') await removeTemporaryObjects(c);
          else await removePartialOutput(c);
        } catch (undoErr) {
          log.error('compensation failed', { compensation: describeCompensation(c), error: String(undoErr) });
        }
      }
    });
    enter('failed');
    throw err;
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

// Poll: one short GetAsyncJobResult call (retried at once through a brownout); the workflow's durable timer does
// the waiting. Cancel: CancelWaitingAsyncJob, for a job nobody wants any more.
import { ErrorTypes, type JobStatus } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError } from './failures';
import { retryTransient } from './provider/retry';
import { ViapiCallError } from './provider/viapi';
import type { PollOutput } from './types';

function unknownJob(err: unknown): boolean {
  return err instanceof ViapiCallError && err.outcome === 'rejected' && err.statusCode === 404;
}

export function makePoll(deps: ActivityDeps) {
  return async function pollJob(input: { jobId: string }): Promise<PollOutput> {
    try {
      const r = await retryTransient(() => deps.viapi.getResult(input.jobId));
      // The result URL is deliberately left out: it is a bearer credential, and the download fetches a fresh one.
      return { status: r.status, errorCode: r.errorCode, errorMessage: r.errorMessage };
    } catch (err) {
      if (unknownJob(err))
        throw finalError(ErrorTypes.ProviderJobFailed, `provider no longer knows job ${input.jobId} (${(err as ViapiCallError).code})`);
      throw err; // still transient after the in-activity retries: the workflow's retry policy backs off
    }
  };
}

export function makeCancel(deps: ActivityDeps) {
  /** Cancels the job if it is still waiting; answers the job's status afterwards (JOB_CANCELED when cancelled). */
  return async function cancelJob(input: { jobId: string }): Promise<{ status: JobStatus }> {
    try {
      await retryTransient(() => deps.viapi.cancelWaiting(input.jobId));
      return { status: 'JOB_CANCELED' };
    } catch (err) {
      // Already started (or ended, or cancelled by an earlier try whose answer was lost): say where it stands.
      if (!(err instanceof ViapiCallError && err.outcome === 'rejected' && err.code === 'InvalidJobStatus')) {
        if (unknownJob(err)) throw finalError(ErrorTypes.ProviderJobFailed, `provider no longer knows job ${input.jobId}`);
        throw err;
      }
    }
    return { status: (await retryTransient(() => deps.viapi.getResult(input.jobId))).status };
  };
}

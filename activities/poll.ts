// Poll: one short GetAsyncJobResult call; the workflow's durable timer does the waiting.
import { ErrorTypes } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { finalError } from './failures';
import { ViapiCallError } from './provider/viapi';
import type { PollOutput } from './types';

export function makePoll(deps: ActivityDeps) {
  return async function pollJob(input: { jobId: string }): Promise<PollOutput> {
    try {
      const r = await deps.viapi.getResult(input.jobId);
      // The result URL is deliberately left out: it is a bearer credential, and the download fetches a fresh one.
      return { status: r.status, errorCode: r.errorCode, errorMessage: r.errorMessage };
    } catch (err) {
      if (err instanceof ViapiCallError && err.outcome === 'rejected' && err.statusCode === 404) {
        throw finalError(ErrorTypes.ProviderJobFailed, `provider no longer knows job ${input.jobId} (${err.code})`);
      }
      throw err; // transient: the activity retry policy backs off
    }
  };
}

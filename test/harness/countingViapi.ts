// A VIAPI client that counts what vsr asks of the provider and what it answers, around the real one.
import { ViapiCallError, type ViapiClient } from '../../activities/provider/viapi';
import { buildProvider } from '../../workers/providers';
import type { TestStack } from './stack';

export interface ViapiCounts {
  submits: number;
  /** Submits answered with an error code (throttling, 5xx with a code, refusals). */
  refusedSubmits: number;
  /** Submits whose answer never came (the call may have made a job). */
  lostSubmits: number;
  throttled: number;
  /** Calls of any kind answered 5xx. */
  serverErrors: number;
  lists: number;
  cancels: number;
  polls: number;
  /** When each accepted submit was sent (epoch ms). */
  acceptedAt: number[];
}

export function countingViapi(stack: TestStack): { viapi: ViapiClient; counts: ViapiCounts } {
  const inner = buildProvider(stack.config).viapi;
  const counts: ViapiCounts = {
    submits: 0,
    refusedSubmits: 0,
    lostSubmits: 0,
    throttled: 0,
    serverErrors: 0,
    lists: 0,
    cancels: 0,
    polls: 0,
    acceptedAt: [],
  };
  async function counted<T>(call: () => Promise<T>, refused?: () => void, lost?: () => void): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ViapiCallError && err.outcome === 'rejected') {
        if (err.throttled) counts.throttled += 1;
        if ((err.statusCode ?? 0) >= 500) counts.serverErrors += 1;
        refused?.();
      }
      if (err instanceof ViapiCallError && err.outcome === 'unknown') lost?.();
      throw err;
    }
  }
  const viapi: ViapiClient = {
    submit: async (url, bitRate) => {
      counts.submits += 1;
      const sent = Date.now();
      const r = await counted(
        () => inner.submit(url, bitRate),
        () => (counts.refusedSubmits += 1),
        () => (counts.lostSubmits += 1),
      );
      counts.acceptedAt.push(sent);
      return r;
    },
    getResult: (jobId) => {
      counts.polls += 1;
      return counted(() => inner.getResult(jobId));
    },
    listJobs: (q) => {
      counts.lists += 1;
      return counted(() => inner.listJobs(q));
    },
    cancelWaiting: (jobId) => {
      counts.cancels += 1;
      return counted(() => inner.cancelWaiting(jobId));
    },
  };
  return { viapi, counts };
}

// Transient provider answers are retried inside the activity, quickly (100 ms doubling to 2 s, jittered), so a
// brownout costs seconds rather than the minutes the workflow's retry policy, the backstop, spends between
// attempts. Every provider call an activity makes goes through here.
import { Context } from '@temporalio/activity';
import { ViapiCallError } from './viapi';

export const TRANSIENT_RETRY = { firstDelayMs: 100, maxDelayMs: 2000, budgetMs: 20_000 } as const;

export interface RetryOptions {
  /** Gives up, rethrowing the last error, once another wait would pass this much time since the first try. */
  budgetMs?: number;
  /** Which failures deserve another try (default `isTransient`). */
  transient?: (err: unknown) => boolean;
  /** Keeps the activity alive while waiting (default: a plain heartbeat); transfers repeat their resume details. */
  heartbeat?: () => void;
  /** How long the next try must still wait whatever happened, e.g. a rate limit's pacing (ms; checked before every try). */
  waitMs?: () => number;
}

/** The wait before try `attempt + 1`: exponential with "equal jitter" (between half and all of the step). */
export function backoffMs(attempt: number, random = Math.random()): number {
  const step = Math.min(TRANSIENT_RETRY.maxDelayMs, TRANSIENT_RETRY.firstDelayMs * 2 ** attempt);
  return Math.round(step * (0.5 + random / 2));
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);
/** ali-oss marks network failures with status -1 (request error) and -2 (timeout). */
const OSS_NETWORK_STATUSES = new Set([-1, -2]);

/**
 * Worth retrying at once: the provider answered "busy" (throttling, 5xx) or the network failed. Only for calls
 * that may safely happen twice (reads, puts, parts, deletes, polls); a submit decides for itself.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ViapiCallError) return err.outcome !== 'rejected' || err.throttled || (err.statusCode ?? 0) >= 500;
  const e = err as { status?: number; code?: string; transient?: boolean; cause?: { code?: string } };
  if (e.transient === true) return true;
  if (typeof e.status === 'number') return e.status >= 500 || e.status === 429 || OSS_NETWORK_STATUSES.has(e.status);
  // Node's fetch reports network failures as a TypeError whose cause has the code.
  return NETWORK_CODES.has(e.code ?? e.cause?.code ?? '');
}

/** An HTTP answer worth retrying, from a plain fetch (a signed result URL). */
export class TransientHttpError extends Error {
  readonly transient = true;
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not inside an activity (a script or a unit test): no heartbeats, no cancellation
  }
}

/** Waits `ms`, heartbeating every second; rejects when the activity is cancelled. */
export async function pause(ms: number, heartbeat?: () => void): Promise<void> {
  const ctx = activityContext();
  const beat = heartbeat ?? (() => ctx?.heartbeat());
  const end = Date.now() + ms;
  for (let left = ms; left > 0; left = end - Date.now()) {
    beat();
    if (ctx) await ctx.sleep(Math.min(left, 1000));
    else await new Promise((r) => setTimeout(r, Math.min(left, 1000)));
  }
}

export async function retryTransient<T>(call: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const started = Date.now();
  const budget = o.budgetMs ?? TRANSIENT_RETRY.budgetMs;
  let backoff = 0;
  for (let attempt = 0; ; attempt++) {
    const wait = Math.max(backoff, o.waitMs?.() ?? 0);
    if (wait > 0) await pause(wait, o.heartbeat);
    try {
      return await call();
    } catch (err) {
      if (!(o.transient ?? isTransient)(err)) throw err;
      backoff = backoffMs(attempt);
      if (Date.now() + Math.max(backoff, o.waitMs?.() ?? 0) - started > budget) throw err;
    }
  }
}

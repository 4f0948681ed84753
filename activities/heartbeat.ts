// Keeps short activities heartbeating, so a crashed worker is noticed within the heartbeat timeout
// instead of the (longer) start-to-close timeout. The first beat comes after one interval, not at the start:
// the timeout counts from the start anyway, and most of these activities end before a beat is due (each is
// a call to the server).
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 3000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wraps activity functions of any signature
export function heartbeating<F extends (...args: any[]) => Promise<unknown>>(fn: F): F {
  return (async (...args: Parameters<F>) => {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  }) as F;
}

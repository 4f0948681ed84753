// The stand-in's notion of time: real time plus an offset tests can move forward, so a 30-minute URL
// expiry, a 5-second rate limit or a slow job is tested without waiting for it.
export interface Clock {
  now(): number;
  /** Resolves once now() has reached `at` (by real time passing or the clock being moved); rejects on abort. */
  until(at: number, signal?: AbortSignal): Promise<void>;
}

interface Waiter {
  at: number;
  resolve: () => void;
  timer?: NodeJS.Timeout;
}

export class ControlledClock implements Clock {
  private offsetMs = 0;
  private readonly waiters = new Set<Waiter>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`clock can only move forward; got ${ms} ms`);
    this.offsetMs += ms;
    for (const w of this.waiters) this.arm(w);
  }

  until(at: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const w: Waiter = {
        at,
        resolve: () => {
          clearTimeout(w.timer);
          this.waiters.delete(w);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
      this.arm(w);
    });
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.until(this.now() + ms, signal);
  }

  /** (Re)starts a waiter's real-time timer for what is left, or wakes it now. */
  private arm(w: Waiter): void {
    clearTimeout(w.timer);
    const left = w.at - this.now();
    if (left <= 0) w.resolve();
    else w.timer = setTimeout(() => this.arm(w), left);
  }
}

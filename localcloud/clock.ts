// The stand-in's notion of time: real time plus an offset tests can move forward, so a 30-minute
// URL expiry is tested without waiting 30 minutes.
export interface Clock {
  now(): number;
}

export class ControlledClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`clock can only move forward; got ${ms} ms`);
    this.offsetMs += ms;
  }
}

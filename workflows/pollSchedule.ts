// How long to wait before the next poll: exponential backoff with jitter and a cap. Pure, unit-tested.
export interface PollSchedule {
  initialMs: number;
  factor: number;
  capMs: number;
  /** Share of the delay randomised either way (0.2 = +-20%). */
  jitter: number;
}

export const DEFAULT_POLL_SCHEDULE: PollSchedule = { initialMs: 2_000, factor: 1.5, capMs: 60_000, jitter: 0.2 };

/** Delay before poll number `n` (0-based), given a random number in [0, 1). */
export function pollDelayMs(n: number, random: number, s: PollSchedule = DEFAULT_POLL_SCHEDULE): number {
  const base = Math.min(s.capMs, s.initialMs * Math.pow(s.factor, Math.max(0, n)));
  const jittered = base * (1 + s.jitter * (2 * random - 1));
  return Math.max(1, Math.round(Math.min(jittered, s.capMs)));
}

/** Polls per workflow run before continue-as-new, keeping history far below Temporal's limits. */
export const POLLS_PER_RUN = 500;
/** Times a LIMIT_RETRY_FAILED job is resubmitted before giving up. */
export const MAX_RESUBMITS = 3;
/** Wait before resubmitting after LIMIT_RETRY_FAILED. */
export const RESUBMIT_DELAY_MS = 60_000;

// When to poll a submitted job next. Pure and deterministic: the workflow passes its own clock and random number.
//
// Without an estimate of the job's duration, polls back off from 2 s by half the time waited so far
// (2, 5, 9.5, 16, 26 s ... exactly today's 1.5x per poll) to a 60 s cap. With an estimate E (learned by the
// worker from jobs it saw finish, see activities/jobTimes.ts), polls stay sparse until just before the
// expected finish, then come every 10% of E (at least 0.5 s, at most the cap), so a job is noticed within a
// small share of its duration; a job that outlives 1.5 E is polled with back-off again. Time counts from
// submit, restarted by every QUEUING answer, so a provider queue does not eat into the estimate. Every delay
// has +-20% jitter (many workflows never poll in step) and never exceeds the cap.
import type { JobStatus } from './contract';

export interface PollSchedule {
  /** First delay without an estimate, and the base of the back-off. */
  initialMs: number;
  /** Back-off: each delay adds this share of the time waited so far (0.5 = today's 1.5x per poll). */
  growth: number;
  capMs: number;
  /** Share of the delay randomised either way (0.2 = +-20%). */
  jitter: number;
  /** With an estimate E: dense polling from (1 - early) E to (1 + late) E, every `step` E. */
  early: number;
  late: number;
  /** Before the window: each delay adds this share of the time processed so far. */
  approach: number;
  step: number;
  minStepMs: number;
}

export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
  initialMs: 2_000,
  growth: 0.5,
  capMs: 60_000,
  jitter: 0.2,
  early: 0.15,
  late: 0.5,
  approach: 2,
  step: 0.1,
  minStepMs: 500,
};

/** What the schedule knows about the job in hand; carried through continue-as-new. */
export interface PollClock {
  /** Workflow time the job was submitted (epoch ms). */
  submittedAt: number;
  /** Submit, or the latest QUEUING answer: the job cannot have started processing before this. */
  startedNoEarlierThan: number;
  /** The latest answer that was not yet final, if any. */
  lastUnfinishedAt?: number;
  /** The last status seen. */
  status?: JobStatus;
  /** Expected processing time (ms), when the worker could estimate it. */
  estimateMs?: number;
}

export function submittedClock(now: number, estimateMs?: number): PollClock {
  return { submittedAt: now, startedNoEarlierThan: now, estimateMs };
}

/** The clock after a poll answered `status` at `now`. */
export function afterPoll(c: PollClock, status: JobStatus, now: number): PollClock {
  const unfinished = status === 'QUEUING' || status === 'PROCESSING';
  return {
    ...c,
    status,
    startedNoEarlierThan: status === 'QUEUING' ? now : c.startedNoEarlierThan,
    lastUnfinishedAt: unfinished ? now : c.lastUnfinishedAt,
  };
}

/**
 * How long the job processed, for learning, once a poll at `now` found it finished: the midpoint of the last
 * unfinished answer (or the start) and this one. Between the two it is the safer guess: an estimate that is
 * too short costs a few polls, one that is too long makes the next job wait past its finish.
 */
export function observedProcessingMs(c: PollClock, now: number): number {
  const upper = now - c.startedNoEarlierThan;
  const lower = Math.max(0, (c.lastUnfinishedAt ?? c.startedNoEarlierThan) - c.startedNoEarlierThan);
  return (upper + lower) / 2;
}

/** Delay before the next poll, given the workflow's time `now` and a random number in [0, 1). */
export function nextPollDelayMs(c: PollClock, now: number, random: number, s: PollSchedule = DEFAULT_POLL_SCHEDULE): number {
  const sinceSubmit = Math.max(0, now - c.submittedAt);
  const backoff = (base: number, waited: number) => Math.min(s.capMs, base + s.growth * waited);
  let base: number;
  const e = c.estimateMs;
  if (e === undefined || !(e > 0)) base = backoff(s.initialMs, sinceSubmit);
  else {
    const step = Math.min(s.capMs, Math.max(s.minStepMs, s.step * e));
    const windowStart = (1 - s.early) * e;
    const windowEnd = (1 + s.late) * e;
    if (c.status === 'QUEUING') {
      // Not started: it cannot finish before E from now; the longer it has waited, the longer it may wait on.
      base = Math.max(windowStart, backoff(Math.min(s.initialMs, e), sinceSubmit));
    } else {
      const processing = Math.max(0, now - c.startedNoEarlierThan);
      if (processing < windowStart - step) {
        // A few early polls catch quick failures; the last one lands on the start of the window.
        base = Math.min(s.capMs, s.initialMs + s.approach * processing);
        if (processing + base > windowStart - step) base = windowStart - processing;
      } else if (processing <= windowEnd)
        base = step; // within a step of the window (jitter lands either side): its pace
      else base = backoff(step, processing - windowEnd);
    }
  }
  const jittered = base * (1 + s.jitter * (2 * random - 1));
  return Math.max(1, Math.round(Math.min(jittered, s.capMs)));
}

/** Polls per workflow run before continue-as-new, keeping history far below Temporal's limits. */
export const POLLS_PER_RUN = 500;
/** Times a LIMIT_RETRY_FAILED job is resubmitted before giving up. */
export const MAX_RESUBMITS = 3;
/** Wait before resubmitting after LIMIT_RETRY_FAILED. */
export const RESUBMIT_DELAY_MS = 60_000;

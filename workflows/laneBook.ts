// The submit lane's state: its queue, the requests it answered lately (with their jobs), and its pacing
// marks. Plain data, carried whole through continue-as-new (`carry()`), kept small by `prune()`.
import type { ErrorType } from './contract';
import type { LaneStatus, SubmitReply, SubmitRequest } from './submitLaneContract';

export interface LaneState {
  queue: SubmitRequest[];
  /**
   * Requests answered or withdrawn lately, with the job each got: a repeated request is not submitted again, and
   * these jobs are never adopted by another request.
   */
  answered: Array<{ requestId: string; at: number; jobId?: string; error?: { type: ErrorType; message: string }; withdrawn?: boolean }>;
  /** Jobs nobody wants any more, cancelled before anything else is sent. */
  cancels: string[];
  lastSentAt?: number;
  lastListAt?: number;
  /** Requests handled per run before continuing as new (default REQUESTS_PER_LANE_RUN; tests lower it). */
  requestsPerRun?: number;
}

/** Requests handled per run before continuing as new (about 10 history events each). */
export const REQUESTS_PER_LANE_RUN = 300;

/**
 * How long the lane remembers an answer. A job only matters inside an ambiguous attempt's window (an attempt lasts
 * at most its 2-minute timeout, plus seconds of slack); a request id only while the request may be repeated (the
 * request activity gives up after 5 minutes). Three times the longer of the two, and still a bounded carry:
 * at 2 submits/s, 1800 entries of about 100 bytes.
 */
export const ANSWERS_MS = 15 * 60_000;

/** One submitInOrder call: the requests it took, in order, and how many of their outcomes the lane has recorded. */
export interface LaneCall {
  id: number;
  requests: SubmitRequest[];
  recorded: number;
  /** When the last recorded send went out (the worker's clock): the next one went out later. */
  lastSentAt?: number;
}

export class LaneBook {
  readonly queue: SubmitRequest[];
  readonly cancels: string[];
  lastSentAt?: number;
  lastListAt?: number;
  /** Only what the lane was started with: the default may change with the code. */
  readonly requestsPerRun?: number;
  /** Replies sent and not yet delivered (or refused). */
  replying = 0;
  /** The call under way, if any: outcome signals for any other are late and ignored. Never spans continue-as-new. */
  call?: LaneCall;
  /** Busy outcomes in a row: the durable backoff doubles with each. */
  busyStreak = 0;
  private calls = 0;
  private answered: LaneState['answered'];
  /** Requests taken off the queue and not yet answered (one at a time before calls sent several). */
  private inFlight: SubmitRequest[] = [];

  constructor(s?: LaneState) {
    this.queue = [...(s?.queue ?? [])];
    this.answered = [...(s?.answered ?? [])];
    this.cancels = [...(s?.cancels ?? [])];
    this.lastSentAt = s?.lastSentAt;
    this.lastListAt = s?.lastListAt;
    this.requestsPerRun = s?.requestsPerRun;
  }

  hasWork(): boolean {
    return this.queue.length > 0 || this.cancels.length > 0;
  }

  /** A request joins the queue unless it is already queued, in flight, answered or withdrawn. */
  request(r: SubmitRequest): void {
    const seen = [...this.inFlight, ...this.queue].some((q) => q.requestId === r.requestId);
    if (!seen && !this.answer(r.requestId)) this.queue.push(r);
  }

  /** Queued: dropped. In flight: its job, if any, is cancelled when it is known. Answered: its job is cancelled. */
  withdraw(requestId: string): void {
    const queued = this.queue.findIndex((q) => q.requestId === requestId);
    if (queued >= 0) this.queue.splice(queued, 1);
    const answered = this.answer(requestId);
    if (answered?.withdrawn) return;
    if (answered?.jobId) this.cancels.push(answered.jobId);
    if (answered) answered.withdrawn = true;
    else this.answered.push({ requestId, at: Date.now(), withdrawn: true });
  }

  /**
   * The reply already given to this request, if it was answered and is still wanted: a requester that asks again
   * (its reply lost, or its run reset to before the reply) gets the same answer, never a second job.
   */
  earlierReply(requestId: string): SubmitReply | undefined {
    const a = this.answer(requestId);
    if (!a || a.withdrawn) return undefined;
    if (a.jobId) return { requestId, jobId: a.jobId };
    return a.error ? { requestId, error: a.error } : undefined;
  }

  isWithdrawn(requestId: string): boolean {
    return this.answer(requestId)?.withdrawn === true;
  }

  next(): SubmitRequest {
    const next = this.queue.shift();
    if (!next) throw new Error('next() on an empty lane');
    this.inFlight.push(next);
    return next;
  }

  /** Takes up to `max` queued requests, in order, for one submitInOrder call. */
  startCall(max: number): LaneCall {
    const requests = this.queue.splice(0, max);
    this.inFlight.push(...requests);
    this.call = { id: ++this.calls, requests, recorded: 0 };
    return this.call;
  }

  /** The request an outcome signal is about, if it is the running call's next unrecorded one (else: late, ignored). */
  recordOutcome(call: number, requestId: string, sentAt: number | undefined): SubmitRequest | undefined {
    const c = this.call;
    const request = c?.id === call ? c.requests[c.recorded] : undefined;
    if (!c || request?.requestId !== requestId) return undefined;
    c.recorded += 1;
    c.lastSentAt = sentAt ?? c.lastSentAt;
    this.busyStreak = 0;
    this.sent(sentAt);
    return request;
  }

  /** Ends the running call; its unrecorded requests, in order. */
  endCall(): SubmitRequest[] {
    const c = this.call;
    this.call = undefined;
    return c ? c.requests.slice(c.recorded) : [];
  }

  /** Requests surely not sent (or to be sent again) go back to the queue's front, in order; withdrawn ones are dropped. */
  requeue(requests: SubmitRequest[]): void {
    this.inFlight = this.inFlight.filter((f) => !requests.includes(f));
    this.queue.unshift(...requests.filter((r) => !this.isWithdrawn(r.requestId)));
  }

  sent(at: number | undefined): void {
    if (at !== undefined) this.lastSentAt = Math.max(this.lastSentAt ?? 0, at);
  }

  knows(jobId: string): boolean {
    return this.answered.some((a) => a.jobId === jobId);
  }

  /** Records the outcome; true when the reply should go out (false: withdrawn meanwhile, its job is cancelled). */
  finish(request: SubmitRequest, reply: SubmitReply): boolean {
    this.inFlight = this.inFlight.filter((f) => f.requestId !== request.requestId);
    const jobId = 'jobId' in reply ? reply.jobId : undefined;
    const withdrawn = this.answer(request.requestId);
    if (withdrawn) {
      if (jobId) this.cancels.push(jobId);
      withdrawn.jobId = jobId;
      return false;
    }
    this.answered.push({ requestId: request.requestId, at: Date.now(), jobId, error: 'error' in reply ? reply.error : undefined });
    return true;
  }

  prune(now: number): void {
    this.answered = this.answered.filter((a) => now - a.at < ANSWERS_MS);
  }

  carry(): LaneState {
    const { queue, answered, cancels, lastSentAt, lastListAt, requestsPerRun } = this;
    return { queue, answered, cancels, lastSentAt, lastListAt, requestsPerRun };
  }

  status(): LaneStatus {
    return {
      queued: this.queue.length,
      inFlight: this.inFlight[0]?.requestId,
      knownJobs: this.answered.filter((a) => a.jobId).length,
      pendingCancels: this.cancels.length,
      lastListAt: this.lastListAt,
    };
  }

  private answer(requestId: string) {
    return this.answered.find((a) => a.requestId === requestId);
  }
}

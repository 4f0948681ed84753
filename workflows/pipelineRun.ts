// The one state object of a pipeline run: the job, its counters and timings, the saga, and the progress view
// of them. What continue-as-new carries is exactly this state (`carry()`), so nothing is kept twice.
import { ApplicationFailure, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ProviderSource, TransferProgress } from '../activities/types';
import type { Compensation } from './compensations';
import type { SubmitReply, SubmitRequest } from './submitLaneContract';
import {
  ErrorTypes,
  type JobStatus,
  type Progress,
  type Stage,
  type SuperResolveInput,
  type SuperResolveResult,
  type VideoFacts,
} from './contract';
import {
  afterPoll,
  MAX_RESUBMITS,
  nextPollDelayMs,
  POLLS_PER_RUN,
  RESUBMIT_DELAY_MS,
  submittedClock,
  type PollClock,
} from './pollSchedule';
import { VSR_STAGE } from './searchAttributes';

type Timings = SuperResolveResult['timings'];

/** What a run hands to the next one through continue-as-new (only ever made once the job is submitted). */
export interface CarriedState {
  facts: VideoFacts;
  providerSource: ProviderSource;
  jobId: string;
  resubmits: number;
  pollCount: number;
  submits: number;
  timings: Timings;
  compensations: Compensation[];
  /** Absent in runs carried by versions before the learned poll schedule. */
  pollClock?: PollClock;
}

export class PipelineRun {
  readonly workflowId = workflowInfo().workflowId;
  /** Undo steps, oldest first, each registered before the step it undoes. */
  readonly saga: Compensation[];
  readonly timings: Timings;
  facts?: VideoFacts;
  providerSource?: ProviderSource;
  jobId?: string;
  /** The submit request waiting in the lane, and its reply once it came. */
  request?: SubmitRequest;
  reply?: SubmitReply;
  resubmits: number;
  pollCount: number;
  submits: number;
  /** Polls in this workflow run, the history budget's counter (restarts after continue-as-new). */
  pollsThisRun = 0;
  /** What the poll schedule knows about the job in hand. */
  pollClock?: PollClock;
  readonly limits: { pollsPerRun: number; resubmitDelayMs: number; maxResubmits: number };
  private stage: Stage;
  private stageStarted = Date.now();
  private transfer = { bytesDone: 0, bytesTotal: 0 };
  private providerStatus?: JobStatus;
  private error?: string;
  /** What became of the provider job when the run was undone (cancelled while waiting, or left to finish). */
  private readonly notes: string[] = [];
  private readonly deadline?: number;

  constructor(
    readonly input: SuperResolveInput,
    carried?: CarriedState,
  ) {
    this.stage = carried ? 'polling' : 'validating';
    this.saga = [...(carried?.compensations ?? [])];
    this.timings = { ...carried?.timings };
    this.facts = carried?.facts;
    this.providerSource = carried?.providerSource;
    this.jobId = carried?.jobId;
    this.resubmits = carried?.resubmits ?? 0;
    this.pollCount = carried?.pollCount ?? 0;
    this.submits = carried?.submits ?? 0;
    this.pollClock = carried ? (carried.pollClock ?? submittedClock(Date.now())) : undefined;
    this.deadline = input.deadline ? Date.parse(input.deadline) : undefined;
    this.limits = {
      pollsPerRun: Math.max(1, input.pollsPerRun ?? POLLS_PER_RUN),
      resubmitDelayMs: Math.max(0, input.resubmitDelayMs ?? RESUBMIT_DELAY_MS),
      maxResubmits: Math.max(0, input.maxResubmits ?? MAX_RESUBMITS),
    };
  }

  /** The `progress` query's answer: a view of this state. */
  progress(): Progress {
    const { bytesDone, bytesTotal } = this.transfer;
    return {
      stage: this.stage,
      bytesDone,
      bytesTotal,
      percent: this.stage === 'done' ? 100 : bytesTotal > 0 ? Math.round((1000 * bytesDone) / bytesTotal) / 10 : 0,
      providerStatus: this.providerStatus,
      pollCount: this.pollCount,
      jobId: this.jobId,
      submits: this.submits,
      error: [this.error, ...this.notes].filter(Boolean).join('; ') || undefined,
    };
  }

  /** A transfer activity's report; a late one from a finished stage is ignored. */
  transferred(p: TransferProgress): void {
    if (p.stage === this.stage) this.transfer = { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal };
  }

  /** Moves to a stage: the time spent in the last one is added to its timing, and the UI's search attribute follows. */
  enter(stage: Stage): void {
    const now = Date.now();
    if (this.stage !== stage) this.timings[this.stage] = (this.timings[this.stage] ?? 0) + (now - this.stageStarted);
    // One structured line per stage (the SDK adds workflow and run ids, and drops it while replaying).
    log.info('stage', { stage, previousStage: this.stage, msInPrevious: now - this.stageStarted, jobId: this.jobId });
    this.stageStarted = now;
    this.stage = stage;
    this.transfer = { bytesDone: 0, bytesTotal: 0 };
    upsertSearchAttributes([{ key: VSR_STAGE, value: stage }]);
  }

  checkDeadline(): void {
    if (this.deadline !== undefined && Date.now() > this.deadline)
      throw ApplicationFailure.nonRetryable(`deadline ${this.input.deadline} passed during ${this.stage}`, ErrorTypes.DeadlineExceeded);
  }

  msUntilDeadline(): number {
    return this.deadline === undefined ? Infinity : this.deadline - Date.now();
  }

  /**
   * A new submit request for the lane, its undo registered first: withdraw it while no job is known, cancel the
   * job (while it waits) once one is. The id is unique per wanted job, stable across retries of the request.
   */
  newSubmitRequest(providerSource: ProviderSource): SubmitRequest {
    const { workflowId, runId, firstExecutionRunId } = workflowInfo();
    // The first run's id is unique to this workflow execution (continue-as-new keeps it), and survives replay.
    const requestId = `${firstExecutionRunId}-${this.submits + 1}`;
    this.request = { requestId, requester: { workflowId, runId }, providerSource, bitRateMbps: this.input.bitRateMbps };
    this.reply = undefined;
    this.saga.push({ kind: 'cancelSubmit', requestId });
    return this.request;
  }

  /** The lane's reply; one to an earlier request is ignored. A refusal made no job: nothing to undo. */
  replied(reply: SubmitReply): void {
    if (reply.requestId !== this.request?.requestId || this.reply) return;
    this.reply = reply;
    if ('error' in reply) this.dropUndo('cancelSubmit');
  }

  jobSubmitted(jobId: string): void {
    this.jobId = jobId;
    this.submits += 1;
    for (const c of this.saga) if (c.kind === 'cancelSubmit' && c.requestId === this.request?.requestId) c.jobId = jobId;
    this.pollClock = submittedClock(Date.now(), this.pollClock?.estimateMs); // a resubmitted job keeps the estimate
  }

  /** The worker's estimate of the job's processing time (undefined: it has none yet). */
  estimated(estimateMs: number | undefined): void {
    if (this.pollClock) this.pollClock = { ...this.pollClock, estimateMs };
  }

  /** How long to wait before the next poll (workflows/pollSchedule.ts). */
  nextPollDelayMs(random: number): number {
    return nextPollDelayMs(this.pollClock ?? submittedClock(Date.now()), Date.now(), random);
  }

  polled(status: JobStatus): void {
    this.pollCount += 1;
    this.pollsThisRun += 1;
    this.providerStatus = status;
    if (this.pollClock) this.pollClock = afterPoll(this.pollClock, status, Date.now());
    // An ended job cannot be cancelled: its undo goes.
    if (status !== 'QUEUING' && status !== 'PROCESSING') this.dropUndo('cancelSubmit');
  }

  /** Tells the user what became of the provider job when the run was undone. */
  jobUndone(jobId: string, status: JobStatus): void {
    if (status === 'JOB_CANCELED') this.notes.push(`provider job ${jobId} was cancelled while it waited (not billed)`);
    else if (status === 'PROCESSING')
      this.notes.push(`provider job ${jobId} was already PROCESSING: the provider finishes it (billed), vsr discards its output`);
  }

  undoNotes(): string | undefined {
    return this.notes.length > 0 ? this.notes.join('; ') : undefined;
  }

  private dropUndo(kind: Compensation['kind']): void {
    for (let i = this.saga.length - 1; i >= 0; i--) if (this.saga[i].kind === kind) this.saga.splice(i, 1);
  }

  failed(err: unknown): void {
    this.error = err instanceof Error ? err.message : String(err);
  }

  /** The state for the next run; closes this run's polling time. */
  carry(): CarriedState {
    if (!this.facts || !this.providerSource || !this.jobId) throw new Error('continue-as-new before the job was submitted');
    this.timings.polling = (this.timings.polling ?? 0) + (Date.now() - this.stageStarted);
    return {
      facts: this.facts,
      providerSource: this.providerSource,
      jobId: this.jobId,
      resubmits: this.resubmits,
      pollCount: this.pollCount,
      submits: this.submits,
      timings: this.timings,
      compensations: this.saga,
      pollClock: this.pollClock,
    };
  }
}

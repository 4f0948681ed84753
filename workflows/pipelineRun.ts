// The one state object of a pipeline run: the job, its counters and timings, the saga, and the progress view
// of them. What continue-as-new carries is exactly this state (`carry()`), so nothing is kept twice.
import { ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ProviderSource, TransferProgress } from '../activities/types';
import type { Compensation } from './compensations';
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
  knownJobIds: string[];
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
  /** Every job this workflow has had (LIMIT_RETRY_FAILED ones included): a resubmit must not adopt them. */
  readonly knownJobIds: string[];
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
    this.knownJobIds = [...(carried?.knownJobIds ?? [])];
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
      error: this.error,
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

  jobSubmitted(jobId: string): void {
    this.jobId = jobId;
    this.knownJobIds.push(jobId);
    this.submits += 1;
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
      knownJobIds: this.knownJobIds,
      resubmits: this.resubmits,
      pollCount: this.pollCount,
      submits: this.submits,
      timings: this.timings,
      compensations: this.saga,
      pollClock: this.pollClock,
    };
  }
}

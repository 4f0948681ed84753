// The submit lane's messages: what pipelines ask of it and what it answers. Types and names only, shared by the
// lane, the pipelines and the activities that reach the lane.
import type { ProviderSource } from '../activities/types';
import type { ErrorType } from './contract';

export const LANE_WORKFLOW_TYPE = 'submitLane';
export const SUBMIT_REQUEST_SIGNAL = 'submitRequest';
export const WITHDRAW_SUBMIT_SIGNAL = 'withdrawSubmit';
export const SUBMIT_REPLY_SIGNAL = 'submitReply';
/** The lane's own submit activity -> the lane: one send's outcome, before the next send. */
export const SUBMIT_OUTCOME_SIGNAL = 'submitOutcome';
export const LANE_STATUS_QUERY = 'laneStatus';

/** One job wanted: the lane submits it (or finds it after a lost answer) and replies to the requester. */
export interface SubmitRequest {
  /** Unique per wanted job: a repeated request with the same id never makes a second job. */
  requestId: string;
  /** Where the reply goes: a closed run means nobody wants the job any more. */
  requester: { workflowId: string; runId: string };
  providerSource: ProviderSource;
  bitRateMbps?: number;
}

export type SubmitReply =
  | { requestId: string; jobId: string; /** Found in the job list after a lost answer, not seen accepted. */ adopted?: boolean }
  | { requestId: string; error: { type: ErrorType; message: string } };

export interface LaneStatus {
  queued: number;
  inFlight?: string;
  knownJobs: number;
  pendingCancels: number;
  lastListAt?: number;
}

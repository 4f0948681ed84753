// Messages between activities/clients and the workflows.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SubmitOutcomeSignal, TransferProgress } from '../activities/types';
import { QUERY_BATCH_PROGRESS, type BatchProgress } from './batchContract';
import { QUERY_PROGRESS, type Progress } from './contract';
import {
  LANE_STATUS_QUERY,
  SUBMIT_OUTCOME_SIGNAL,
  SUBMIT_REPLY_SIGNAL,
  SUBMIT_REQUEST_SIGNAL,
  WITHDRAW_SUBMIT_SIGNAL,
  type LaneStatus,
  type SubmitReply,
  type SubmitRequest,
} from './submitLaneContract';

export const progressQuery = defineQuery<Progress>(QUERY_PROGRESS);
export const batchProgressQuery = defineQuery<BatchProgress>(QUERY_BATCH_PROGRESS);
/** Sent by transfer activities, throttled, so the progress query can show bytes moved. */
export const transferProgressSignal = defineSignal<[TransferProgress]>('transferProgress');

/** Pipeline -> lane (through an activity, which starts the lane when needed). */
export const submitRequestSignal = defineSignal<[SubmitRequest]>(SUBMIT_REQUEST_SIGNAL);
export const withdrawSubmitSignal = defineSignal<[{ requestId: string }]>(WITHDRAW_SUBMIT_SIGNAL);
/** Lane -> pipeline. */
export const submitReplySignal = defineSignal<[SubmitReply]>(SUBMIT_REPLY_SIGNAL);
/** The lane's submitInOrder activity -> the lane. */
export const submitOutcomeSignal = defineSignal<[SubmitOutcomeSignal]>(SUBMIT_OUTCOME_SIGNAL);
export const laneStatusQuery = defineQuery<LaneStatus>(LANE_STATUS_QUERY);

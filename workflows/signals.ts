// Messages between activities/clients and the workflow.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TransferProgress } from '../activities/types';
import { QUERY_BATCH_PROGRESS, type BatchProgress } from './batchContract';
import { QUERY_PROGRESS, type Progress } from './contract';

export const progressQuery = defineQuery<Progress>(QUERY_PROGRESS);
export const batchProgressQuery = defineQuery<BatchProgress>(QUERY_BATCH_PROGRESS);
/** Sent by transfer activities, throttled, so the progress query can show bytes moved. */
export const transferProgressSignal = defineSignal<[TransferProgress]>('transferProgress');

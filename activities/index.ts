// All activities, made from their dependencies (the DI factory the worker and tests both use).
import { makeBatchActivities } from './batch';
import { makeCleanup } from './cleanup';
import type { ActivityDeps } from './deps';
import { makeDownload } from './download';
import { heartbeating } from './heartbeat';
import { makeJobTimes } from './jobTimes';
import { makeLane } from './lane';
import { makeCancel, makePoll } from './poll';
import { makeSubmit } from './submit';
import { makeUpload } from './upload';
import { makeValidate } from './validate';

export function createActivities(deps: ActivityDeps) {
  const cleanup = makeCleanup(deps);
  const batch = makeBatchActivities(deps);
  const jobTimes = makeJobTimes(deps.jobTimes);
  const lane = makeLane(deps);
  const submit = makeSubmit(deps);
  return {
    // Transfers heartbeat themselves, with resume details; the rest heartbeat on a timer.
    uploadSource: makeUpload(deps),
    downloadResult: makeDownload(deps),
    validateInput: heartbeating(makeValidate(deps)),
    requestSubmit: heartbeating(lane.requestSubmit),
    // The submit lane's own calls (on the submit task queue): the account's only submits and job listings.
    submitToProvider: heartbeating(submit.submitToProvider),
    submitInOrder: heartbeating(submit.submitInOrder),
    listProviderJobs: heartbeating(submit.listProviderJobs),
    withdrawSubmit: heartbeating(lane.withdrawSubmit),
    pollJob: heartbeating(makePoll(deps)),
    cancelJob: heartbeating(makeCancel(deps)),
    // Local activities (in memory, no heartbeat needed): the poll schedule's estimate of a job's duration.
    estimateJobTime: jobTimes.estimateJobTime,
    recordJobTime: jobTimes.recordJobTime,
    removeTemporaryObjects: heartbeating(cleanup.removeTemporaryObjects),
    removePartialOutput: heartbeating(cleanup.removePartialOutput),
    listBatchItems: heartbeating(batch.listBatchItems),
    describeItem: heartbeating(batch.describeItem),
    writeBatchPage: heartbeating(batch.writeBatchPage),
    writeBatchSummary: heartbeating(batch.writeBatchSummary),
    readBatchMarker: heartbeating(batch.readBatchMarker),
    writeBatchMarker: heartbeating(batch.writeBatchMarker),
  };
}

/** The activities the submit lane's task queue runs. */
export const LANE_ACTIVITIES = ['submitToProvider', 'submitInOrder', 'listProviderJobs', 'cancelJob'] as const;

export type { ActivityDeps } from './deps';

// All activities, made from their dependencies (the DI factory the worker and tests both use).
import { makeBatchActivities } from './batch';
import { makeCleanup } from './cleanup';
import type { ActivityDeps } from './deps';
import { makeDownload } from './download';
import { makePoll } from './poll';
import { makeSubmit } from './submit';
import { makeUpload } from './upload';
import { makeValidate } from './validate';

export function createActivities(deps: ActivityDeps) {
  return {
    validateInput: makeValidate(deps),
    uploadSource: makeUpload(deps),
    submitJob: makeSubmit(deps),
    pollJob: makePoll(deps),
    downloadResult: makeDownload(deps),
    ...makeCleanup(deps),
    ...makeBatchActivities(deps),
  };
}

export type { ActivityDeps } from './deps';

// The one place that decides how payloads are converted (and, later, encoded) for every Client and Worker
// vsr makes: a payload codec hooks in here, and both sides pick it up.
import type { DataConverter } from '@temporalio/common';
import type { Config } from './index';

export function dataConverter(_config: Config): DataConverter {
  return {};
}

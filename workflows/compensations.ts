// Undo steps as data, so the saga list survives continue-as-new and reads plainly in history.
import type { Destination } from './contract';
import { ossUri } from './locations';

export type Compensation =
  | { kind: 'removeTemporaryObjects'; bucket: string; prefix: string }
  | { kind: 'removePartialOutput'; destination: Destination; workflowId: string }
  /** A submit's undo: withdraw the request from the lane while no job is known, else cancel the job while it waits. */
  | { kind: 'cancelSubmit'; requestId: string; jobId?: string };

export function describeCompensation(c: Compensation): string {
  switch (c.kind) {
    case 'removeTemporaryObjects':
      return `remove ${ossUri(c.bucket, c.prefix)}*`;
    case 'removePartialOutput':
      return `remove partial output for ${c.workflowId}`;
    case 'cancelSubmit':
      return c.jobId ? `cancel provider job ${c.jobId} if still waiting` : `withdraw submit request ${c.requestId}`;
  }
}

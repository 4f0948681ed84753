// Undo steps as data, so the saga list survives continue-as-new and reads plainly in history.
import type { Destination } from './contract';
import { ossUri } from './locations';

export type Compensation =
  | { kind: 'removeTemporaryObjects'; bucket: string; prefix: string }
  | { kind: 'removePartialOutput'; destination: Destination; workflowId: string };

export function describeCompensation(c: Compensation): string {
  return c.kind === 'removeTemporaryObjects' ? `remove ${ossUri(c.bucket, c.prefix)}*` : `remove partial output for ${c.workflowId}`;
}

// Typed activity failures: a stable type, a message naming field, value and limit.
import { ApplicationFailure } from '@temporalio/activity';
import type { ErrorType } from '../workflows/contract';
import type { LimitViolation } from './media';

export function userError(v: LimitViolation): ApplicationFailure {
  return ApplicationFailure.create({ message: v.message, type: v.type, nonRetryable: true, details: [{ field: v.field }] });
}

export function finalError(type: ErrorType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

export function retryableError(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: false });
}

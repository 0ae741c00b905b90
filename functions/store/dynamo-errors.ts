/**
 * The one place where DynamoDB's "slow down" answers become Kubernetes' 429 (with Retry-After, as apiserver's
 * priority-and-fairness rejections). Throttling reaches us only after the SDK's own retries, and transaction
 * conflicts only after the store's (dynamodb-store.ts retries a contended transaction with backoff): at that
 * point the client is the right one to wait and retry, which every Kubernetes client does on 429. Pure.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { errors } from '../../shared/api/status.ts';

/** SDK exception names (the `name` of the thrown ServiceException) that mean "too much load, try later". */
const THROTTLING_EXCEPTIONS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
]);

/** CancellationReason codes of a TransactWriteItems that mean the same. */
const THROTTLING_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Seconds a throttled client is told to wait; apiserver's own 429s say 1. */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

export function isThrottling(err: unknown): boolean {
  if (err instanceof TransactionCanceledException) {
    const codes = (err.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    // A failed condition is an answer (conflict, already exists), never load: the store handles those itself.
    if (codes.includes('ConditionalCheckFailed')) return false;
    return codes.some((c) => THROTTLING_REASONS.has(c));
  }
  return err instanceof Error && THROTTLING_EXCEPTIONS.has(err.name);
}

/** `err` as the store's callers should see it: a 429 StatusError for throttling, otherwise unchanged. */
export function translateDynamoError(err: unknown): unknown {
  return isThrottling(err) ? errors.tooManyRequests(THROTTLED_RETRY_AFTER_SECONDS) : err;
}

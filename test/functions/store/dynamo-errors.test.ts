import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isThrottling, translateDynamoError } from '../../../functions/store/dynamo-errors.ts';
import { isStatusError } from '../../../shared/api/status.ts';

const meta = { message: 'x', $metadata: {} };
const canceled = (...codes: string[]) => new TransactionCanceledException({ ...meta, CancellationReasons: codes.map((Code) => ({ Code })) });

describe('isThrottling', () => {
  it.each([
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException(meta), true],
    ['ThrottlingException', new ThrottlingException(meta), true],
    ['RequestLimitExceeded', new RequestLimitExceeded(meta), true],
    ['TransactionConflictException', new TransactionConflictException(meta), true],
    ['a transaction cancelled by a conflict', canceled('None', 'TransactionConflict'), true],
    ['a transaction cancelled by throttling', canceled('ThrottlingError', 'None'), true],
    ['a transaction cancelled by provisioned throughput', canceled('ProvisionedThroughputExceeded', 'None'), true],
    ['a transaction whose condition failed', canceled('ConditionalCheckFailed', 'TransactionConflict'), false],
    ['ConditionalCheckFailedException', new ConditionalCheckFailedException(meta), false],
    ['ResourceNotFoundException', new ResourceNotFoundException(meta), false],
    ['a plain Error', new Error('boom'), false],
    ['a non-error', 'boom', false],
  ])('%s → %s', (_label, err, want) => {
    expect(isThrottling(err)).toBe(want);
  });
});

describe('translateDynamoError', () => {
  it('turns throttling into a 429 TooManyRequests that says when to retry', () => {
    const out = translateDynamoError(new ThrottlingException(meta));
    expect(isStatusError(out)).toBe(true);
    if (!isStatusError(out)) return;
    expect(out.toStatus()).toMatchObject({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
  });

  it('passes other errors through unchanged', () => {
    const err = new ResourceNotFoundException(meta);
    expect(translateDynamoError(err)).toBe(err);
  });
});

/**
 * The AWS SDK's logger middleware builds a sensitive-data-filtered copy of every request and response and hands
 * it to the client's logger, even when that logger is the default NoOpLogger that drops it. The copy walks the
 * whole output schema: on a list of 10,000 objects it was about a third of the store's CPU. When the logger
 * cannot log anything, removing the middleware changes no behaviour.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The SDK's default logger when none was configured (its methods are empty). */
function isNoOpLogger(logger: unknown): boolean {
  return typeof logger === 'object' && logger !== null && logger.constructor?.name === 'NoOpLogger';
}

/** Drops the logger middleware from `client` when its logger discards everything. Idempotent. */
export function skipDiscardedSdkLogging(client: DynamoDBClient): void {
  if (isNoOpLogger(client.config.logger)) client.middlewareStack.remove('loggerMiddleware');
}

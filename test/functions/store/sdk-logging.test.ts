import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { skipDiscardedSdkLogging } from '../../../functions/store/sdk-logging.ts';

const hasLoggerMiddleware = (client: DynamoDBClient): boolean => client.middlewareStack.identify().some((m) => m.startsWith('loggerMiddleware'));

describe('skipDiscardedSdkLogging', () => {
  it('removes the logger middleware when the client has the default no-op logger, and is idempotent', () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(hasLoggerMiddleware(client)).toBe(true);
    skipDiscardedSdkLogging(client);
    skipDiscardedSdkLogging(client);
    expect(hasLoggerMiddleware(client)).toBe(false);
    client.destroy();
  });

  it('keeps the logger middleware when a real logger was configured', () => {
    const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const client = new DynamoDBClient({ region: 'us-east-1', logger });
    skipDiscardedSdkLogging(client);
    expect(hasLoggerMiddleware(client)).toBe(true);
    client.destroy();
  });
});

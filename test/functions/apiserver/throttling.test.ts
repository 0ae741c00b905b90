/**
 * DynamoDB saying "slow down" reaches clients as Kubernetes' 429. The store runs on DynamoDB Local; the only fake
 * is at the AWS boundary: a client middleware that answers chosen commands with the SDK's own exceptions.
 */
import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDynamoStore } from '../../../functions/store/dynamodb-store.ts';
import { makeDynamoClient } from '../../../local/emulators.ts';
import { createTestTables } from '../../support/dynamo.ts';
import { configMap, createHarness, ns, type Harness } from './api-harness.ts';

const CM = '/api/v1/namespaces/slow/configmaps';

/** command name → the error to throw instead of sending it. */
const faults = new Map<string, () => Error>();
const attempts = new Map<string, number>();

function faultyClient(): DynamoDBClient {
  const client = makeDynamoClient(inject('dynamoEndpoint'));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      attempts.set(command, (attempts.get(command) ?? 0) + 1);
      const fault = faults.get(command);
      if (fault) throw fault();
      return next(args);
    },
    { step: 'initialize', name: 'testFaults' },
  );
  return client;
}

const meta = { $metadata: {} };
let api: Harness;

beforeAll(async () => {
  const { prefix } = await createTestTables();
  const store = createDynamoStore({ client: faultyClient(), tablePrefix: prefix, onError: () => undefined });
  api = await createHarness({ store });
  await api.call('POST', '/api/v1/namespaces', { body: ns('slow') });
  await api.call('POST', CM, { body: configMap('one') });
});

beforeEach(() => {
  faults.clear();
  attempts.clear();
});

function expectTooManyRequests(res: { status: number; headers: Record<string, string>; json: unknown }): void {
  expect(res.status).toBe(429);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
}

describe('DynamoDB throttling', () => {
  it('answers a get with 429 and Retry-After when reads are throttled', async () => {
    faults.set('GetItemCommand', () => new ProvisionedThroughputExceededException({ ...meta, message: 'Rate of requests exceeds the allowed throughput' }));
    expectTooManyRequests(await api.call('GET', `${CM}/one`));
    faults.clear();
    expect((await api.call('GET', `${CM}/one`)).status).toBe(200);
  });

  it('answers a list with 429 when queries are throttled', async () => {
    faults.set('QueryCommand', () => new ProvisionedThroughputExceededException({ ...meta, message: 'throttled' }));
    expectTooManyRequests(await api.call('GET', CM));
  });

  it('answers a create with 429 when the RV counter update conflicts with a transaction', async () => {
    faults.set('UpdateItemCommand', () => new TransactionConflictException({ ...meta, message: 'Transaction is ongoing for the item' }));
    expectTooManyRequests(await api.call('POST', CM, { body: configMap('two') }));
  });

  it('retries a contended write transaction itself before answering 429', async () => {
    faults.set(
      'TransactWriteItemsCommand',
      () => new TransactionCanceledException({ ...meta, message: 'Transaction cancelled', CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] }),
    );
    expectTooManyRequests(await api.call('POST', CM, { body: configMap('three') }));
    expect(attempts.get('TransactWriteItemsCommand')).toBeGreaterThan(1);
    faults.clear();
    // The RVs the failed write took were given back: the store keeps serving, and the name is still free.
    expect((await api.call('POST', CM, { body: configMap('three') })).status).toBe(201);
    expect((await api.call('GET', CM)).json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['one', 'three']);
  });
});

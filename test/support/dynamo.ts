/**
 * Test helpers over the run's shared DynamoDB Local / SQS emulator: clients, unique prefixes, and stores on
 * fresh tables. Real parts only; nothing here fakes the store.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { createDynamoStore, type DynamoStore, type DynamoStoreOptions } from '../../functions/store/dynamodb-store.ts';
import { makeDynamoClient, makeSqsClient } from '../../local/emulators.ts';
import { ensureTables, type TableNames } from '../../shared/resources.ts';

let dynamo: DynamoDBClient | undefined;
let sqs: SQSClient | undefined;

/** One client per test file (worker), against the run's DynamoDB Local. */
export function testDynamoClient(): DynamoDBClient {
  dynamo ??= makeDynamoClient(inject('dynamoEndpoint'));
  return dynamo;
}

export function testSqsClient(): SQSClient {
  sqs ??= makeSqsClient(inject('sqsEndpoint'));
  return sqs;
}

/** `t<random>`: a table/queue prefix no other test uses. */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
}

export async function createTestTables(prefix = uniquePrefix()): Promise<{ prefix: string; tables: TableNames }> {
  const tables = await ensureTables(testDynamoClient(), prefix);
  return { prefix, tables };
}

/** A DynamoStore over fresh tables. Extra options (fill delay, retention, seams) pass through. */
export async function createTestStore(options: Partial<Omit<DynamoStoreOptions, 'client'>> = {}): Promise<DynamoStore> {
  const prefix = options.tablePrefix ?? uniquePrefix();
  await ensureTables(testDynamoClient(), prefix);
  return createDynamoStore({ client: testDynamoClient(), tablePrefix: prefix, onError: () => undefined, ...options });
}

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ensureQueues, ensureTables } from '../../shared/resources.ts';
import { testDynamoClient, testSqsClient, uniquePrefix } from '../support/dynamo.ts';

describe('ensureTables', () => {
  it('creates the objects table with its stream and node index, idempotently', async () => {
    const prefix = uniquePrefix();
    const names = await ensureTables(testDynamoClient(), prefix);
    await ensureTables(testDynamoClient(), prefix);
    const { Table } = await testDynamoClient().send(new DescribeTableCommand({ TableName: names.objects }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byNodeName']);
    const log = await testDynamoClient().send(new DescribeTableCommand({ TableName: names.changelog }));
    expect(log.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });
});

describe('ensureQueues', () => {
  it('creates FIFO queues with a redrive policy to their dead-letter queues, idempotently', async () => {
    const prefix = uniquePrefix();
    const urls = await ensureQueues(testSqsClient(), prefix);
    await ensureQueues(testSqsClient(), prefix);
    const attrs = await testSqsClient().send(new GetQueueAttributesCommand({ QueueUrl: urls.queues.controllers, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.FifoQueue).toBe('true');
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 5 });
    expect(urls.deadLetterQueues.controllers).toContain(`${prefix}-controllers-dlq.fifo`);
  });
});

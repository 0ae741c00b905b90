/**
 * The one definition of Zeroplane's DynamoDB tables and SQS queues. Local startup (`ensureTables`,
 * `ensureQueues`) and the CDK stack both read these records, so the two can never drift apart.
 * Plain data plus two small idempotent "create if missing" functions; nothing here knows item layouts beyond
 * the key schema (that is functions/store/item-codec.ts).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Logical id, also the CDK construct id. */
  id: 'objects' | 'changelog';
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  globalSecondaryIndexes: IndexDefinition[];
  stream?: 'NEW_AND_OLD_IMAGES';
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL). */
  timeToLiveAttribute?: string;
}

/**
 * objects: pk = resource key (`core/pods`), sk = `<namespace>/<name>` (`/<name>` when cluster-scoped).
 *   Its stream (new and old images) drives dispatch. The sparse `nodeName` index lists the pods bound to a node
 *   (only pods with spec.nodeName carry the attribute).
 * changelog: pk = shard (`log`; `meta` holds the RV counter and the compaction/settled watermarks), sk = RV.
 *   No stream: it is read by the store's own log tailer.
 */
export const TABLES = {
  objects: {
    id: 'objects',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalSecondaryIndexes: [
      { indexName: 'byNodeName', partitionKey: { name: 'nodeName', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, projection: 'ALL' },
    ],
    stream: 'NEW_AND_OLD_IMAGES',
  },
  changelog: {
    id: 'changelog',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'N' },
    globalSecondaryIndexes: [],
    timeToLiveAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableId = keyof typeof TABLES;

export interface TableNames {
  objects: string;
  changelog: string;
}

/** Table names from a prefix: `zp-objects`, `zp-changelog`. DynamoDB needs names of at least 3 characters. */
export function tableNames(prefix: string): TableNames {
  return { objects: `${prefix}-objects`, changelog: `${prefix}-changelog` };
}

export interface QueueDefinition {
  /** Logical id; the queue name is `<prefix>-<id>.fifo`. */
  id: 'scheduler' | 'controllers' | 'cloud';
  /**
   * FIFO so that a MessageGroupId of `<controller>/<object key>` gives one reconcile per key at a time
   * (design invariant 3). Senders must set a unique MessageDeduplicationId (e.g. the change's RV): content-based
   * deduplication would swallow a second notification for the same key inside the 5-minute window.
   */
  fifo: true;
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue `<prefix>-<id>-dlq.fifo`. */
  maxReceiveCount: number;
}

export const QUEUES = {
  scheduler: { id: 'scheduler', fifo: true, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 },
  controllers: { id: 'controllers', fifo: true, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 },
  cloud: { id: 'cloud', fifo: true, visibilityTimeoutSeconds: 120, maxReceiveCount: 5 },
} as const satisfies Record<string, QueueDefinition>;

export type QueueId = keyof typeof QUEUES;

export function queueName(prefix: string, id: QueueId): string {
  return `${prefix}-${id}.fifo`;
}

export function deadLetterQueueName(prefix: string, id: QueueId): string {
  return `${prefix}-${id}-dlq.fifo`;
}

function attributeDefinitions(def: TableDefinition): { AttributeName: string; AttributeType: KeyType }[] {
  const all = [def.partitionKey, def.sortKey, ...def.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])])];
  const byName = new Map(all.map((a) => [a.name, a.type]));
  return [...byName].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

async function tableExists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

/** Creates the tables for `prefix` when missing (on-demand billing). Returns their names. */
export async function ensureTables(client: DynamoDBClient, prefix: string): Promise<TableNames> {
  const names = tableNames(prefix);
  for (const def of Object.values(TABLES) as TableDefinition[]) {
    const name = names[def.id];
    if (await tableExists(client, name)) continue;
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: attributeDefinitions(def),
          KeySchema: [
            { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.length
            ? def.globalSecondaryIndexes.map((i) => ({
                IndexName: i.indexName,
                KeySchema: [
                  { AttributeName: i.partitionKey.name, KeyType: 'HASH' as const },
                  ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' as const }] : []),
                ],
                Projection: { ProjectionType: i.projection },
              }))
            : undefined,
          StreamSpecification: def.stream ? { StreamEnabled: true, StreamViewType: def.stream } : undefined,
        }),
      );
    } catch (err) {
      // Another process created it between our check and our create.
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    if (def.timeToLiveAttribute) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: def.timeToLiveAttribute } }),
        );
      } catch (err) {
        // TTL already enabled is a ValidationException; anything else is real.
        if ((err as { name?: string }).name !== 'ValidationException') throw err;
      }
    }
  }
  return names;
}

export interface QueueUrls {
  queues: Record<QueueId, string>;
  deadLetterQueues: Record<QueueId, string>;
}

async function createQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const out = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (out.QueueUrl) return out.QueueUrl;
  const got = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!got.QueueUrl) throw new Error(`queue ${name} has no URL`);
  return got.QueueUrl;
}

/** Creates every queue and its dead-letter queue (with RedrivePolicy) for `prefix`; CreateQueue is idempotent. */
export async function ensureQueues(client: SQSClient, prefix: string): Promise<QueueUrls> {
  const queues = {} as Record<QueueId, string>;
  const deadLetterQueues = {} as Record<QueueId, string>;
  for (const def of Object.values(QUEUES) as QueueDefinition[]) {
    const dlqUrl = await createQueue(client, deadLetterQueueName(prefix, def.id), { FifoQueue: 'true', MessageRetentionPeriod: '1209600' });
    const dlqAttrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const dlqArn = dlqAttrs.Attributes?.QueueArn;
    if (!dlqArn) throw new Error(`queue ${deadLetterQueueName(prefix, def.id)} has no ARN`);
    queues[def.id] = await createQueue(client, queueName(prefix, def.id), {
      FifoQueue: 'true',
      VisibilityTimeout: String(def.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: def.maxReceiveCount }),
    });
    deadLetterQueues[def.id] = dlqUrl;
  }
  return { queues, deadLetterQueues };
}

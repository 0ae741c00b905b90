/**
 * The local stand-in for Lambda's triggers (design.md "Local and AWS"): the objects-table stream → dispatch,
 * each queue → its handler, and a timer → resync. The handlers are the same middy handlers Lambda runs; only what
 * invokes them differs. The caller creates tables and queues (ensureTables/ensureQueues) and builds the handlers.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { DISPATCH_FILTER_CRITERIA } from '../../functions/dispatch/filter-criteria.ts';
import type { ScheduledEvent } from '../../functions/pipeline/lambda-events.ts';
import type { InvokeContext } from './invoke-context.ts';
import { queueName, tableNames, type QueueId } from '../../shared/resources.ts';
import { makeDynamoClient, makeSqsClient, REGION } from '../emulators.ts';
import { startResync, type Resync } from './resync.ts';
import { startSqsPoller, type SqsHandler, type SqsPoller, type SqsPollerOptions } from './sqs-poller.ts';
import { startStreamPoller, type StreamHandler, type StreamPoller, type StreamPollerOptions } from './stream-poller.ts';

export interface LocalRuntimeHandlers {
  /** The objects-table stream consumer (functions/dispatch/handler.ts). */
  dispatch?: StreamHandler;
  /** One consumer per queue (QUEUES in shared/resources.ts). */
  scheduler?: SqsHandler;
  controllers?: SqsHandler;
  cloud?: SqsHandler;
  resync?: (event: ScheduledEvent, context: InvokeContext) => Promise<unknown>;
}

export type QueuePollerSettings = Pick<SqsPollerOptions, 'batchSize' | 'waitTimeSeconds' | 'concurrency' | 'retryVisibilitySeconds'>;

export interface LocalRuntimeOptions {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tablePrefix: string;
  handlers: LocalRuntimeHandlers;
  /** Stream mapping settings; the filter defaults to the stack's DISPATCH_FILTER_CRITERIA. */
  stream?: Partial<Omit<StreamPollerOptions, 'client' | 'streamArn' | 'handler' | 'logger'>>;
  /** Per-queue settings. Default: batch 10, 20 s long poll, concurrency 2 (controllers 4). */
  queues?: Partial<Record<QueueId, QueuePollerSettings>>;
  /** Resync period. Default 10 s. */
  resyncIntervalMs?: number;
  logger?: Logger;
}

export interface LocalRuntime {
  streamArn: string;
  queueUrls: Partial<Record<QueueId, string>>;
  stop(): Promise<void>;
}

const DEFAULT_CONCURRENCY: Record<QueueId, number> = { scheduler: 2, controllers: 4, cloud: 1 };

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dynamo = makeDynamoClient(options.dynamoEndpoint);
  const sqs = makeSqsClient(options.sqsEndpoint);
  // DynamoDB Local accepts any alphanumeric key; it is the same local-only pair the other clients use.
  const streams = new DynamoDBStreamsClient({
    region: REGION,
    endpoint: options.dynamoEndpoint,
    credentials: { accessKeyId: 'zeroplanelocal', secretAccessKey: 'zeroplanelocal' },
  });
  const stops: (() => Promise<void>)[] = [];
  try {
    const table = await dynamo.send(new DescribeTableCommand({ TableName: tableNames(options.tablePrefix).objects }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${tableNames(options.tablePrefix).objects} has no stream`);

    const queueUrls: Partial<Record<QueueId, string>> = {};
    const queueHandlers: [QueueId, SqsHandler | undefined][] = [
      ['scheduler', options.handlers.scheduler],
      ['controllers', options.handlers.controllers],
      ['cloud', options.handlers.cloud],
    ];
    for (const [id, handler] of queueHandlers) {
      if (!handler) continue;
      const got = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(options.tablePrefix, id) }));
      if (!got.QueueUrl) throw new Error(`queue ${queueName(options.tablePrefix, id)} not found`);
      queueUrls[id] = got.QueueUrl;
      const poller: SqsPoller = startSqsPoller({
        client: sqs,
        queueUrl: got.QueueUrl,
        handler,
        concurrency: DEFAULT_CONCURRENCY[id],
        functionName: id,
        region: REGION,
        logger: options.logger,
        ...options.queues?.[id],
      });
      stops.push(() => poller.stop());
    }

    if (options.handlers.dispatch) {
      const poller: StreamPoller = startStreamPoller({
        filterCriteria: DISPATCH_FILTER_CRITERIA,
        region: REGION,
        ...options.stream,
        client: streams,
        streamArn,
        handler: options.handlers.dispatch,
        logger: options.logger,
      });
      stops.push(() => poller.stop());
    }

    if (options.handlers.resync) {
      const resync: Resync = startResync({ intervalMs: options.resyncIntervalMs ?? 10_000, handler: options.handlers.resync, region: REGION, logger: options.logger });
      stops.push(() => resync.stop());
    }

    return {
      streamArn,
      queueUrls,
      stop: async () => {
        await Promise.all(stops.map((s) => s()));
        dynamo.destroy();
        sqs.destroy();
        streams.destroy();
      },
    };
  } catch (err) {
    await Promise.all(stops.map((s) => s()));
    dynamo.destroy();
    sqs.destroy();
    streams.destroy();
    throw err;
  }
}

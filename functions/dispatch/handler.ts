/**
 * The dispatch Lambda (objects-table stream → controller keys → SQS): wiring only. Each record is decoded, mapped
 * to keys by the pure keysForChange, and the keys are sent in batches; a record whose decode or send failed is
 * reported in batchItemFailures (by SequenceNumber), so the event source retries from it and nothing is dropped.
 */
import middy from '@middy/core';
import { pino, type Logger } from 'pino';
import { batchLogging } from '../pipeline/batch-logging.ts';
import { DynamoDBStreamEventSchema, type BatchResponse, type DynamoDBStreamRecord } from '../pipeline/lambda-events.ts';
import { keysForChange } from './controller-keys.ts';
import { queueSenderFromEnv, sendControllerKeys, type OutgoingKey, type QueueSenderDeps } from './queue-sender.ts';
import { decodeStreamChange } from './stream-change.ts';

export interface DispatchDeps extends QueueSenderDeps {
  logger: Logger;
}

export function makeHandler(deps: DispatchDeps) {
  const base = async (event: unknown): Promise<BatchResponse> => {
    const { Records } = DynamoDBStreamEventSchema.parse(event);
    const failed = new Set<DynamoDBStreamRecord>();
    const outgoing: OutgoingKey<DynamoDBStreamRecord>[] = [];
    for (const record of Records) {
      try {
        const { change, rv, cause } = decodeStreamChange(record);
        for (const key of keysForChange(change)) outgoing.push({ message: { ...key, rv }, cause, tag: record });
      } catch (err) {
        deps.logger.error({ sequenceNumber: record.dynamodb.SequenceNumber, err }, 'cannot decode stream record');
        failed.add(record);
      }
    }
    const sent = await sendControllerKeys(deps, outgoing);
    for (const record of sent.failed) failed.add(record);
    return { batchItemFailures: Records.filter((r) => failed.has(r)).map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
  };
  return middy(base).use(batchLogging(deps.logger, 'dispatch'));
}

/** Production dependencies: queue URLs from SCHEDULER_QUEUE_URL, CONTROLLERS_QUEUE_URL, CLOUD_QUEUE_URL. */
export function realDeps(env: NodeJS.ProcessEnv = process.env, logger: Logger = pino({ level: env.LOG_LEVEL ?? 'info' })): DispatchDeps {
  return { ...queueSenderFromEnv(env), logger };
}

export const handler = makeHandler(realDeps());

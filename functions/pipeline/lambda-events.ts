/**
 * The event shapes Lambda hands to stream and queue consumers (and the local runtime builds), as zod schemas in
 * the shape of powertools' parser schemas (packages/parser/src/schemas/dynamodb.ts, sqs.ts). Handlers parse with
 * these at their boundary; images stay `unknown` until item-codec decodes them.
 */
import { z } from 'zod';

const AttributeMapSchema = z.record(z.string(), z.unknown());

export const DynamoDBStreamRecordSchema = z.looseObject({
  eventID: z.string().optional(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  eventVersion: z.string().optional(),
  eventSource: z.literal('aws:dynamodb').optional(),
  awsRegion: z.string().optional(),
  eventSourceARN: z.string().optional(),
  dynamodb: z.looseObject({
    ApproximateCreationDateTime: z.number().optional(),
    Keys: AttributeMapSchema,
    NewImage: AttributeMapSchema.optional(),
    OldImage: AttributeMapSchema.optional(),
    SequenceNumber: z.string(),
    SizeBytes: z.number().optional(),
    StreamViewType: z.string().optional(),
  }),
});
export type DynamoDBStreamRecord = z.infer<typeof DynamoDBStreamRecordSchema>;

export const DynamoDBStreamEventSchema = z.object({ Records: z.array(DynamoDBStreamRecordSchema) });
export type DynamoDBStreamEvent = z.infer<typeof DynamoDBStreamEventSchema>;

export const SqsRecordSchema = z.looseObject({
  messageId: z.string(),
  receiptHandle: z.string(),
  body: z.string(),
  attributes: z.looseObject({
    ApproximateReceiveCount: z.string(),
    SentTimestamp: z.string().optional(),
    SenderId: z.string().optional(),
    ApproximateFirstReceiveTimestamp: z.string().optional(),
    SequenceNumber: z.string().optional(),
    MessageGroupId: z.string().optional(),
    MessageDeduplicationId: z.string().optional(),
  }),
  messageAttributes: z.record(z.string(), z.unknown()).default({}),
  md5OfBody: z.string().optional(),
  eventSource: z.literal('aws:sqs').optional(),
  eventSourceARN: z.string().optional(),
  awsRegion: z.string().optional(),
});
export type SqsRecord = z.infer<typeof SqsRecordSchema>;

export const SqsEventSchema = z.object({ Records: z.array(SqsRecordSchema) });
export type SqsEvent = z.infer<typeof SqsEventSchema>;

/** The reply that turns on per-record retries (ReportBatchItemFailures). */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** EventBridge's scheduled event (the resync trigger). */
export const ScheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.string(),
  id: z.string().optional(),
});
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;

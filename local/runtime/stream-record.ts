/**
 * A DynamoDB Streams SDK record → the record Lambda delivers: binary attributes as base64 text, the creation time
 * in epoch seconds, the source ARN and region filled in. Filters and handlers then see exactly what they see on AWS.
 */
import type { AttributeValue, _Record } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBStreamRecordSchema, type DynamoDBStreamRecord } from '../../functions/pipeline/lambda-events.ts';

type JsonAttribute = Record<string, unknown>;

function toJsonAttribute(value: AttributeValue): JsonAttribute {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toJsonImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toJsonAttribute) };
  return { ...value } as JsonAttribute;
}

function toJsonImage(image: Record<string, AttributeValue> | undefined): Record<string, JsonAttribute> | undefined {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toJsonAttribute(v)]));
}

export function toLambdaRecord(record: _Record, streamArn: string, region: string): DynamoDBStreamRecord {
  const d = record.dynamodb ?? {};
  return DynamoDBStreamRecordSchema.parse({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) : undefined,
      Keys: toJsonImage(d.Keys) ?? {},
      NewImage: toJsonImage(d.NewImage),
      OldImage: toJsonImage(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  });
}

/**
 * A DynamoDB stream record of the objects table → the ObjectChange dispatch reasons about, plus the change's rv
 * and a cause string that identifies this exact change (for queue deduplication).
 */
import { decodeObjectImage, refOfSortKey } from '../store/item-codec.ts';
import type { DynamoDBStreamRecord } from '../pipeline/lambda-events.ts';
import type { ObjectChange } from './controller-keys.ts';
import { z } from 'zod';

const KeysSchema = z.looseObject({ pk: z.object({ S: z.string() }), sk: z.object({ S: z.string() }) });

export interface DecodedChange {
  change: ObjectChange;
  /** The rv of the new image, or of the last write before a removal. */
  rv: string;
  /** `INSERT:7`, `MODIFY:8`, `REMOVE:8`: the removal that follows the write at rv 8 is a different wake-up. */
  cause: string;
}

/** Throws when the record is not an objects-table change with images (it is then reported as failed, not dropped). */
export function decodeStreamChange(record: DynamoDBStreamRecord): DecodedChange {
  const keys = KeysSchema.parse(record.dynamodb.Keys);
  const ref = refOfSortKey(keys.pk.S, keys.sk.S);
  const before = record.dynamodb.OldImage ? decodeObjectImage(record.dynamodb.OldImage) : undefined;
  const after = record.dynamodb.NewImage ? decodeObjectImage(record.dynamodb.NewImage) : undefined;
  const current = after ?? before;
  if (!current) throw new Error(`stream record ${record.dynamodb.SequenceNumber} carries no image (stream view type must be NEW_AND_OLD_IMAGES)`);
  const rv = String(current.rv);
  return {
    change: { resource: ref.resource, namespace: ref.namespace, name: ref.name, oldObject: before?.object, newObject: after?.object },
    rv,
    cause: `${record.eventName}:${rv}`,
  };
}

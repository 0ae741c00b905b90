/**
 * How objects and change-log entries are laid out as DynamoDB items. Pure: no I/O. This module and
 * dynamodb-store.ts are the only code that knows the layout; dispatch decodes stream images with
 * `decodeObjectImage`.
 *
 * objects item:   pk (S resource key) | sk (S `<ns>/<name>`) | rv (N) | obj (S JSON) or objz (B gzip JSON)
 *                 | nodeName (S, pods bound to a node; feeds the byNodeName index)
 * changelog item: pk (S 'log') | sk (N rv) | t (S type) | r, ns, n (S) | obj/objz | prev/prevz | at (N ms)
 *                 | expiresAt (N epoch s, DynamoDB TTL backstop)
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { KubeObjectSchema, type KubeObject } from '../../shared/api/object.ts';
import type { ObjectRef, ResourceKey, WatchEventType } from './object-store.ts';

/** DynamoDB's item size limit (names + values). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Bodies above this are stored gzip-compressed (also saves write units on AWS). */
export const COMPRESS_OVER_BYTES = 32 * 1024;
/** Headroom for key/number attributes and the RV digits, which are not known when sizes are first checked. */
const ITEM_OVERHEAD_BYTES = 1024;
/** The largest encoded (possibly compressed) object body the store accepts. */
export const MAX_BODY_BYTES = MAX_ITEM_BYTES - ITEM_OVERHEAD_BYTES;

export const LOG_SHARD = 'log';
export const META_SHARD = 'meta';

export type Item = Record<string, AttributeValue>;

export function objectSortKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function refOfSortKey(resource: ResourceKey, sk: string): ObjectRef {
  const slash = sk.indexOf('/');
  return { resource, namespace: sk.slice(0, slash), name: sk.slice(slash + 1) };
}

/** A copy of `obj` with metadata.resourceVersion set; the store owns that field. */
export function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

export type EncodedBody = { json: string } | { gz: Uint8Array };

export function encodeBody(json: string, forceCompress = false): EncodedBody {
  if (!forceCompress && Buffer.byteLength(json) <= COMPRESS_OVER_BYTES) return { json };
  return { gz: gzipSync(json) };
}

export function bodyBytes(body: EncodedBody): number {
  return 'json' in body ? Buffer.byteLength(body.json) : body.gz.byteLength;
}

function bodyAttributes(name: string, body: EncodedBody): Item {
  return 'json' in body ? { [name]: { S: body.json } } : { [`${name}z`]: { B: body.gz } };
}

// Stream images delivered to Lambda carry B as base64 text; SDK reads carry bytes.
const BinarySchema = z.union([z.instanceof(Uint8Array), z.string().transform((s) => Buffer.from(s, 'base64'))]);
const S = z.object({ S: z.string() });
const N = z.object({ N: z.string() });
const B = z.object({ B: BinarySchema });

function bodyJson(plain: { S: string } | undefined, gz: { B: Uint8Array } | undefined): string | undefined {
  if (plain) return plain.S;
  if (gz) return gunzipSync(gz.B).toString('utf8');
  return undefined;
}

const ObjectItemSchema = z.looseObject({
  pk: S,
  sk: S,
  rv: N,
  obj: S.optional(),
  objz: B.optional(),
});

export interface StoredObject {
  resource: ResourceKey;
  sk: string;
  rv: number;
  /** The object's JSON exactly as stored (metadata.resourceVersion === String(rv)). */
  json: string;
}

export function encodeObjectItem(resource: ResourceKey, sk: string, rv: number, body: EncodedBody, nodeName?: string): Item {
  return {
    pk: { S: resource },
    sk: { S: sk },
    rv: { N: String(rv) },
    ...bodyAttributes('obj', body),
    ...(nodeName ? { nodeName: { S: nodeName } } : {}),
  };
}

/** An SDK-read item with a plain body: the shape nearly every read has, checked without building a copy. */
function plainObjectItem(item: unknown): StoredObject | undefined {
  const i = item as { pk?: { S?: unknown }; sk?: { S?: unknown }; rv?: { N?: unknown }; obj?: { S?: unknown } } | null;
  const pk = i?.pk?.S;
  const sk = i?.sk?.S;
  const rv = i?.rv?.N;
  const json = i?.obj?.S;
  if (typeof pk !== 'string' || typeof sk !== 'string' || typeof rv !== 'string' || typeof json !== 'string') return undefined;
  return { resource: pk, sk, rv: Number(rv), json };
}

export function decodeObjectItem(item: unknown): StoredObject {
  // Lists decode thousands of items: skip the schema for the common plain form; everything else (gzip bodies,
  // stream images with base64 text, malformed items) goes through it.
  const plain = plainObjectItem(item);
  if (plain) return plain;
  const parsed = ObjectItemSchema.parse(item);
  const json = bodyJson(parsed.obj, parsed.objz);
  if (json === undefined) throw new Error(`object item ${parsed.pk.S} ${parsed.sk.S} has no body`);
  return { resource: parsed.pk.S, sk: parsed.sk.S, rv: Number(parsed.rv.N), json };
}

function hasKubeObjectShape(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string' && typeof v.metadata === 'object' && v.metadata !== null && !Array.isArray(v.metadata);
}

/**
 * An object body the store wrote itself (from a KubeObject). Re-validating every field on each read was a
 * quarter of a list's decoding time and changes nothing (the schema has no transforms or defaults), so only the
 * envelope is checked; a body that fails that goes through the schema, which names what is wrong.
 */
export function parseObject(json: string): KubeObject {
  const value: unknown = JSON.parse(json);
  return hasKubeObjectShape(value) ? value : KubeObjectSchema.parse(value);
}

/** For stream consumers: an objects-table NewImage/OldImage (SDK or Lambda event form) → the object. */
export function decodeObjectImage(image: unknown): { resource: ResourceKey; ref: ObjectRef; rv: number; object: KubeObject } {
  const stored = decodeObjectItem(image);
  return { resource: stored.resource, ref: refOfSortKey(stored.resource, stored.sk), rv: stored.rv, object: parseObject(stored.json) };
}

/** Pods bound to a node carry spec.nodeName as a top-level attribute so the byNodeName index can find them. */
export function nodeNameOf(resource: ResourceKey, obj: KubeObject): string | undefined {
  if (resource !== 'core/pods') return undefined;
  const spec = (obj as { spec?: { nodeName?: unknown } }).spec;
  return typeof spec?.nodeName === 'string' && spec.nodeName ? spec.nodeName : undefined;
}

export type LogEntryType = WatchEventType | 'FILL';

export interface LogEntry {
  rv: number;
  type: LogEntryType;
  /** Unset for fills. */
  resource?: ResourceKey;
  namespace?: string;
  name?: string;
  /** The object after the change (ADDED, MODIFIED). DELETED entries only carry `previousJson`. */
  objectJson?: string;
  /** The object before the change (MODIFIED, DELETED); for very large objects only its selector view. */
  previousJson?: string;
  /** `previousJson` is only the selector view (the whole previous object did not fit). */
  previousTrimmed?: boolean;
  /** Commit time, ms since epoch (used by compaction). */
  at: number;
}

export function encodeLogItem(
  rv: number,
  fields: {
    type: LogEntryType;
    resource?: string;
    namespace?: string;
    name?: string;
    object?: EncodedBody;
    previous?: EncodedBody;
    previousTrimmed?: boolean;
  },
  at: number,
  ttlSeconds: number,
): Item {
  return {
    pk: { S: LOG_SHARD },
    sk: { N: String(rv) },
    t: { S: fields.type },
    ...(fields.resource ? { r: { S: fields.resource } } : {}),
    ...(fields.namespace ? { ns: { S: fields.namespace } } : {}),
    ...(fields.name ? { n: { S: fields.name } } : {}),
    ...(fields.object ? bodyAttributes('obj', fields.object) : {}),
    ...(fields.previous ? bodyAttributes('prev', fields.previous) : {}),
    ...(fields.previousTrimmed ? { pt: { BOOL: true } } : {}),
    at: { N: String(at) },
    expiresAt: { N: String(Math.floor(at / 1000) + ttlSeconds) },
  };
}

const LogItemSchema = z.looseObject({
  sk: N,
  t: z.object({ S: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'FILL']) }),
  r: S.optional(),
  ns: S.optional(),
  n: S.optional(),
  obj: S.optional(),
  objz: B.optional(),
  prev: S.optional(),
  prevz: B.optional(),
  pt: z.object({ BOOL: z.boolean() }).optional(),
  at: N.optional(),
});

export function decodeLogItem(item: unknown): LogEntry {
  const p = LogItemSchema.parse(item);
  return {
    rv: Number(p.sk.N),
    type: p.t.S,
    resource: p.r?.S,
    namespace: p.ns?.S ?? '',
    name: p.n?.S,
    objectJson: bodyJson(p.obj, p.objz),
    previousJson: bodyJson(p.prev, p.prevz),
    ...(p.pt?.BOOL ? { previousTrimmed: true } : {}),
    at: p.at ? Number(p.at.N) : 0,
  };
}

/** Approximate DynamoDB item size: attribute names plus values (numbers counted generously). */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name);
    if (value.S !== undefined) total += Buffer.byteLength(value.S);
    else if (value.N !== undefined) total += 21;
    else if (value.B !== undefined) total += value.B.byteLength;
    else total += 64;
  }
  return total;
}

function scalarsOf(value: unknown): Record<string, unknown> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v === null || typeof v !== 'object') out[k] = v;
  return out;
}

/**
 * What a selector watcher needs of a previous object when the whole one does not fit in the log entry:
 * identity, labels, and every scalar field of the top level, spec and status (field selectors only ever use
 * scalars: spec.nodeName, status.phase, type, involvedObject.*).
 */
export function selectorView(obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels, generation, creationTimestamp, deletionTimestamp } = obj.metadata;
  const view: Record<string, unknown> = { ...scalarsOf(obj) };
  view.apiVersion = obj.apiVersion;
  view.kind = obj.kind;
  view.metadata = { name, namespace, uid, resourceVersion, labels, generation, creationTimestamp, deletionTimestamp };
  for (const part of ['spec', 'status', 'involvedObject'] as const) {
    const scalars = scalarsOf((obj as Record<string, unknown>)[part]);
    if (scalars) view[part] = scalars;
  }
  return KubeObjectSchema.parse(view);
}

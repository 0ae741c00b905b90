/**
 * Decodes one protobuf message into the JSON object Kubernetes' JSON encoding would give for the same Go value,
 * driven by the field tables in types/. Go-specific rules (see schema.ts): zero values of non-pointer fields are
 * dropped; well-known types take their JSON forms (Time → RFC 3339, IntOrString → number|string, Quantity → string,
 * bytes → base64, FieldsV1/RawExtension → embedded JSON).
 */
import type { FieldSpec, MessageSpec, ScalarType } from './schema.ts';
import { wellKnownFields } from './types/meta-v1.ts';
import { WireError, WireReader, WireType } from './wire.ts';

export class ProtobufDecodeError extends Error {}

export type Registry = Readonly<Record<string, MessageSpec>>;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const WELL_KNOWN = new Set(['Time', 'Quantity', 'IntOrString', 'FieldsV1', 'RawExtension']);

export function decodeMessage(bytes: Uint8Array, messageName: string, registry: Registry): Record<string, Json> {
  try {
    return decodeObject(bytes, messageName, registry);
  } catch (err) {
    if (err instanceof WireError) throw new ProtobufDecodeError(`malformed protobuf in ${messageName}: ${err.message}`);
    throw err;
  }
}

function decodeObject(bytes: Uint8Array, messageName: string, registry: Registry): Record<string, Json> {
  const spec = registry[messageName];
  if (!spec) throw new ProtobufDecodeError(`no field table for ${messageName}`);
  const r = new WireReader(bytes);
  const out: Record<string, Json> = {};
  while (!r.done) {
    const { field, wireType } = r.tag();
    const f = spec[field];
    if (!f) {
      // Go writes every non-pointer field, so fields we do not model still arrive, but as zeros. Anything else
      // would be silently lost: refuse it instead.
      if (!r.skip(wireType)) {
        throw new ProtobufDecodeError(`field ${field} of ${messageName} is not supported by this server; send the object as application/json`);
      }
      continue;
    }
    readField(r, wireType, f, messageName, registry, out);
  }
  return out;
}

function readField(r: WireReader, wireType: number, f: FieldSpec, messageName: string, registry: Registry, out: Record<string, Json>): void {
  if (f.type === 'map') {
    const entry = r.bytes();
    const [key, value] = readMapEntry(entry, f, registry);
    const m = (out[f.name] ??= {}) as Record<string, Json>;
    m[key] = value;
    return;
  }
  if (f.repeated && f.type !== 'message' && f.type !== 'string' && f.type !== 'bytes' && wireType === WireType.lengthDelimited) {
    // A packed repeated number.
    const inner = new WireReader(r.bytes());
    const arr = (out[f.name] ??= []) as Json[];
    while (!inner.done) arr.push(readScalar(inner, f.type as ScalarType));
    return;
  }
  const value = readValue(r, wireType, f, messageName, registry);
  if (f.repeated) {
    ((out[f.name] ??= []) as Json[]).push(value ?? null);
    return;
  }
  if (f.inline) {
    if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
    return;
  }
  if (value === undefined || (!f.ptr && isZero(value))) {
    delete out[f.name];
    return;
  }
  out[f.name] = value;
}

function readValue(r: WireReader, wireType: number, f: FieldSpec, messageName: string, registry: Registry): Json | undefined {
  if (f.type === 'message') {
    expectWireType(wireType, WireType.lengthDelimited, f, messageName);
    const bytes = r.bytes();
    const name = f.message!;
    return WELL_KNOWN.has(name) ? decodeWellKnown(bytes, name) : decodeObject(bytes, name, registry);
  }
  const expected = f.type === 'string' || f.type === 'bytes' ? WireType.lengthDelimited : f.type === 'double' ? WireType.fixed64 : WireType.varint;
  expectWireType(wireType, expected, f, messageName);
  return readScalar(r, f.type as ScalarType);
}

function readScalar(r: WireReader, type: ScalarType): Json {
  switch (type) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.varint() !== 0;
    case 'double':
      return r.double();
    case 'int32':
      return r.varint() | 0;
    case 'int64':
      return r.varint();
  }
}

function readMapEntry(entry: Uint8Array, f: FieldSpec, registry: Registry): [string, Json] {
  const r = new WireReader(entry);
  let key = '';
  const valueType = f.mapValue!;
  let value: Json | undefined;
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) key = r.string();
    else if (field === 2) {
      if (valueType === 'string' || valueType === 'bytes') value = readScalar(r, valueType);
      else {
        const bytes = r.bytes();
        value = WELL_KNOWN.has(valueType) ? decodeWellKnown(bytes, valueType) : decodeObject(bytes, valueType, registry);
      }
    } else r.skip(wireType);
  }
  // A map value is kept even when empty: `data: {k: ""}` is meaningful.
  if (value === undefined) value = valueType === 'string' || valueType === 'bytes' || valueType === 'Quantity' ? '' : {};
  return [key, value];
}

function decodeWellKnown(bytes: Uint8Array, name: string): Json | undefined {
  const r = new WireReader(bytes);
  const fields: Record<number, { wireType: number; value: number | Uint8Array }> = {};
  while (!r.done) {
    const { field, wireType } = r.tag();
    fields[field] = { wireType, value: wireType === WireType.lengthDelimited ? r.bytes() : wireType === WireType.varint ? r.varint() : (r.skip(wireType), 0) };
  }
  const num = (n: number): number => (typeof fields[n]?.value === 'number' ? (fields[n].value as number) : 0);
  const bin = (n: number): Uint8Array => (fields[n]?.value instanceof Uint8Array ? (fields[n].value as Uint8Array) : new Uint8Array());
  const text = (n: number): string => new TextDecoder().decode(bin(n));
  switch (name) {
    case 'Time': {
      const seconds = num(wellKnownFields.Time.seconds);
      const nanos = num(wellKnownFields.Time.nanos);
      // Go marshals a zero time as an empty message; JSON has `null` (omitted with omitzero).
      if (seconds === 0 && nanos === 0) return undefined;
      return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'Quantity':
      return text(wellKnownFields.Quantity.string);
    case 'IntOrString':
      return num(wellKnownFields.IntOrString.type) === 1 ? text(wellKnownFields.IntOrString.strVal) : num(wellKnownFields.IntOrString.intVal) | 0;
    case 'FieldsV1':
    case 'RawExtension': {
      const raw = bin(wellKnownFields.FieldsV1.raw);
      if (raw.length === 0) return undefined;
      try {
        return JSON.parse(new TextDecoder().decode(raw)) as Json;
      } catch {
        throw new ProtobufDecodeError(`${name} carries a non-JSON payload, which this server does not decode`);
      }
    }
  }
  throw new ProtobufDecodeError(`unknown well-known type ${name}`);
}

function isZero(v: Json): boolean {
  if (v === '' || v === 0 || v === false || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function expectWireType(actual: number, expected: number, f: FieldSpec, messageName: string): void {
  if (actual !== expected) {
    throw new ProtobufDecodeError(`field ${f.name || '(inline)'} of ${messageName} has wire type ${actual}, expected ${expected}`);
  }
}

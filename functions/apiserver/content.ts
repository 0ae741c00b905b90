/**
 * Content negotiation: request bodies (JSON, YAML, Kubernetes protobuf) → plain objects, and what the client
 * accepts back (a Table or the object). Responses are always JSON (kubectl-wire §1.3: JSON replies are accepted
 * even by clients that ask for protobuf).
 */
import { parse as parseYaml } from 'yaml';
import { errors } from '../../shared/api/status.ts';
import { decodeProtobufBody } from './protobuf-body.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** The media type without parameters, lower case: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = PATCH_TYPES[mediaType(contentType)];
  if (!type) throw errors.unsupportedMediaType(mediaType(contentType) || 'none');
  return type;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function parseYamlText(text: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
}

/** Decodes a request body by its Content-Type. An empty body decodes to undefined. */
export function decodeBody(contentType: string | undefined, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufBody(body);
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') return parseYamlText(body.toString('utf8'));
  if (type === '' || type === 'application/json' || type === '*/*' || type.endsWith('+json')) return parseJson(body.toString('utf8'));
  throw errors.unsupportedMediaType(type);
}

/** Decodes a body that must be a JSON object (a Kubernetes object or options). */
export function decodeObjectBody(contentType: string | undefined, body: Buffer): Record<string, unknown> {
  const value = decodeBody(contentType, body);
  if (value === undefined) throw errors.badRequest('the request body is empty');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: the body is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export interface AcceptedOutput {
  /** `as=Table;v=v1;g=meta.k8s.io` (or v1beta1) was offered. */
  table: boolean;
}

/**
 * Reads the Accept header. A Table is chosen when any offered media range asks for it (kubectl always offers plain
 * JSON as a fallback after it, and Tables are what makes `kubectl get` print columns).
 */
export function negotiateOutput(accept: string | undefined): AcceptedOutput {
  const ranges = (accept ?? '').split(',').map((r) => r.trim().toLowerCase().replace(/\s+/g, ''));
  const table = ranges.some((r) => r.includes('as=table') && r.includes('g=meta.k8s.io'));
  return { table };
}

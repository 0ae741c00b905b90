/** JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything else replaces. */
import { errors } from '../api/status.ts';

type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns a new document; neither argument is modified. */
export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: JsonObject = isJsonObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Entry point for a PATCH body: Kubernetes objects can only be patched by an object. */
export function mergePatchObject(original: JsonObject, patch: unknown): JsonObject {
  if (!isJsonObject(patch)) throw errors.badRequest('Invalid JSON Patch');
  return applyMergePatch(original, patch) as JsonObject;
}

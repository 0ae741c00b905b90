/**
 * Kubernetes strategic merge patch: a JSON merge patch whose lists of maps merge by a key instead of being
 * replaced, plus the directives `$patch` (replace|delete|merge), `$retainKeys`, `$setElementOrder/<list>` and
 * `$deleteFromPrimitiveList/<list>`. Which lists merge, and by which key, comes from patch-schema.ts.
 *
 * This is what makes the second `kubectl apply` keep a container's ports and env: it sends only
 * `containers: [{name, image}]` with `$setElementOrder/containers`.
 */
import { errors } from '../api/status.ts';
import { isJsonObject } from './merge-patch.ts';
import { rootRules, rulesOf, type FieldRule, type GroupKind, type TypeRules } from './patch-schema.ts';

type JsonObject = Record<string, unknown>;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Returns the patched object; neither argument is modified. Errors are Kubernetes Status errors. */
export function strategicMerge(original: JsonObject, patch: unknown, kind: GroupKind): JsonObject {
  if (!isJsonObject(patch)) throw errors.badRequest('Invalid JSON document');
  return mergeMap(original, patch, rootRules(kind)) ?? {};
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, rules: TypeRules): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { [PATCH]: _, ...rest } = patch;
    return mergeMap(undefined, rest, rules);
  }
  if (directive !== undefined && directive !== 'merge') {
    throw errors.badRequest(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }

  const result: JsonObject = { ...(original ?? {}) };

  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw errors.badRequest('invalid patch: $retainKeys directive must be a list');
    for (const [key, value] of Object.entries(patch)) {
      // A null is a deletion, which kubectl sends alongside $retainKeys for the keys it drops.
      if (!key.startsWith('$') && value !== null && !retain.includes(key)) {
        throw errors.patchRejected('the content of patch does not match retainKeys directive');
      }
    }
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key === PATCH || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!Array.isArray(value)) throw errors.badRequest('invalid patch: $deleteFromPrimitiveList directive must be a list');
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const rule = rules[key] ?? {};
    const merged = mergeValue(result[key], value, rule);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }

  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (!Array.isArray(order)) throw errors.badRequest('invalid patch: $setElementOrder directive must be a list');
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyElementOrder(list, order, asArray(original?.[field]), rules[field] ?? {});
  }
  return result;
}

function mergeValue(original: unknown, patch: unknown, rule: FieldRule): unknown {
  if (isJsonObject(patch)) {
    return mergeMap(isJsonObject(original) ? original : undefined, patch, rulesOf(rule.type));
  }
  if (Array.isArray(patch)) {
    if (rule.list !== 'merge') return mergeAtomicList(patch, rule);
    return rule.mergeKey ? mergeListByKey(asArray(original), patch, rule) : mergePrimitiveSet(asArray(original), patch);
  }
  return patch;
}

/** A list that is not merged is replaced; its new maps are still cleaned of directives and nulls. */
function mergeAtomicList(patch: unknown[], rule: FieldRule): unknown[] {
  return patch.map((item) => (isJsonObject(item) ? (mergeMap(undefined, item, rulesOf(rule.type)) ?? {}) : item));
}

function mergePrimitiveSet(original: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((v) => Array.isArray(v))) throw errors.patchRejected('lists of lists are not supported');
  const out = [...original];
  for (const v of patch) if (!out.some((o) => deepEqual(o, v))) out.push(v);
  return out;
}

function mergeListByKey(original: unknown[], patch: unknown[], rule: FieldRule): unknown[] {
  const key = rule.mergeKey!;
  const elementRules = rulesOf(rule.type);
  // `{"$patch": "replace"}` as an element replaces the whole list with the other elements.
  if (patch.some((item) => isJsonObject(item) && item[PATCH] === 'replace')) {
    return patch.filter((item) => !(isJsonObject(item) && item[PATCH] === 'replace')).map((item) => cleanItem(item, elementRules));
  }
  const result = [...original];
  for (const item of patch) {
    if (!isJsonObject(item)) {
      // A list declared mergeable but holding primitives merges as a set.
      if (!result.some((o) => deepEqual(o, item))) result.push(item);
      continue;
    }
    if (!(key in item)) {
      throw errors.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const index = result.findIndex((o) => isJsonObject(o) && deepEqual(o[key], item[key]));
    if (item[PATCH] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      // Every duplicate with that key goes too.
      for (let i = result.length - 1; i >= 0; i--) {
        const o = result[i];
        if (isJsonObject(o) && deepEqual(o[key], item[key])) result.splice(i, 1);
      }
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as JsonObject, item, elementRules);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      const added = mergeMap(undefined, item, elementRules);
      if (added !== undefined) result.push(added);
    }
  }
  return result;
}

function cleanItem(item: unknown, rules: TypeRules): unknown {
  return isJsonObject(item) ? (mergeMap(undefined, item, rules) ?? {}) : item;
}

/**
 * `$setElementOrder/<list>` gives the order of the items the client knows about. Those come first in that
 * order; items only the server has keep their place relative to them (as apiserver does), by their index in the
 * original list.
 */
function applyElementOrder(merged: unknown[], order: unknown[], original: unknown[], rule: FieldRule): unknown[] {
  const key = rule.mergeKey;
  const identity = (v: unknown): unknown => (key && isJsonObject(v) ? v[key] : v);
  const orderIds = order.map(identity);
  const position = (v: unknown): number => orderIds.findIndex((id) => deepEqual(id, identity(v)));
  const originalIndex = (v: unknown): number => original.findIndex((o) => deepEqual(identity(o), identity(v)));

  const ordered = merged.filter((v) => position(v) >= 0).sort((a, b) => position(a) - position(b));
  const serverOnly = merged.filter((v) => position(v) < 0);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < ordered.length && j < serverOnly.length) {
    const p = originalIndex(ordered[i]);
    const s = originalIndex(serverOnly[j]);
    if (p >= 0 && s >= 0 && s < p) out.push(serverOnly[j++]);
    else out.push(ordered[i++]);
  }
  return [...out, ...ordered.slice(i), ...serverOnly.slice(j)];
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

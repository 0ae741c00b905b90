/**
 * Server-side apply, as much as `kubectl apply --server-side` and helm 4 (which applies every chart object with
 * `fieldManager=helm&force=false`) rely on:
 * - no live object → the applied configuration is the new object (the caller answers 201);
 * - otherwise the applied configuration is merged into the live object (maps recursively, keyed lists by their
 *   keys, atomic values replaced), and fields this manager applied last time but no longer applies are removed
 *   unless another manager still owns them;
 * - a field owned by another *Apply* manager with a different value is a conflict (409) unless `force`; with
 *   `force` the field changes owner;
 * - `metadata.managedFields` records each manager's fields in Kubernetes' `fieldsV1` form.
 * Update managers (`kubectl-client-side-apply`, `kubectl-edit`, …) are recorded by `recordUpdateManager`.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errors, type ResourceRef, type StatusCause } from '../api/status.ts';
import {
  deleteAt,
  describePath,
  fieldSetOf,
  fromFieldsV1,
  itemMatches,
  itemElement,
  listKeys,
  pathOf,
  toFieldsV1,
  valueAt,
} from './field-set.ts';
import { isJsonObject } from './merge-patch.ts';
import { rootRules, rulesOf, type FieldRule, type GroupKind, type TypeRules } from './patch-schema.ts';
import { deepEqual } from './strategic-merge.ts';

type JsonObject = Record<string, unknown>;

export const ManagedFieldsEntrySchema = z.looseObject({
  manager: z.string().optional(),
  operation: z.enum(['Apply', 'Update']).optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.string().optional(),
  fieldsV1: z.record(z.string(), z.unknown()).optional(),
  subresource: z.string().optional(),
});
export type ManagedFieldsEntry = z.infer<typeof ManagedFieldsEntrySchema>;

/** Parses an `application/apply-patch+yaml` body: YAML or JSON (kubectl and helm send JSON). */
export function parseApplyPatch(body: string | Uint8Array): JsonObject {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw errors.badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
  return parsed;
}

export interface ApplyRequest {
  /** The stored object, or undefined when it does not exist yet. */
  live: JsonObject | undefined;
  /** The parsed apply configuration. */
  applied: JsonObject;
  fieldManager: string | undefined;
  force: boolean;
  kind: GroupKind;
  /** For the conflict Status: `{group:'apps', resource:'deployments'}` and the object's name. */
  resource: ResourceRef;
  name: string;
  now: Date;
  /** `status` when applying to the status subresource. */
  subresource?: string;
}

export interface ApplyResult {
  object: JsonObject;
  created: boolean;
}

/** Fields of an apply configuration that the server owns; they are not merged. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function serverSideApply(req: ApplyRequest): ApplyResult {
  const manager = req.fieldManager;
  if (!manager) throw errors.badRequest('PATCH: fieldManager is required for apply requests');
  const applied = withoutServerMetadata(req.applied);
  const apiVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  if (!apiVersion || typeof applied.kind !== 'string' || !applied.kind) {
    throw errors.badRequest(`invalid object type: ${apiVersion}, Kind=${String(applied.kind ?? '')}`);
  }
  const root = rootRules(req.kind);
  const scope = req.subresource === 'status' ? 'status' : 'main';
  const appliedSet = fieldSetOf(applied, root, scope);
  const now = timestamp(req.now);
  const subresource = req.subresource ?? '';

  if (!req.live) {
    const object = structuredClone(applied);
    const entry = makeEntry(manager, 'Apply', apiVersion, now, appliedSet.members, subresource);
    setManagedFields(object, [entry]);
    return { object, created: true };
  }

  const live = req.live;
  const entries = managedFieldsOf(live);
  const isMine = (e: ManagedFieldsEntry): boolean => e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === subresource;
  const previous = entries.find(isMine);
  const previousSet = previous ? fromFieldsV1(previous.fieldsV1) : new Set<string>();
  const others = entries.filter((e) => !isMine(e)).map((e) => ({ entry: e, fields: fromFieldsV1(e.fieldsV1) }));

  // Conflicts: another Apply manager owns a leaf we set, and the values differ.
  const causes: StatusCause[] = [];
  const changedLeaves = new Set<string>();
  for (const leaf of appliedSet.leaves) {
    const path = pathOf(leaf);
    const before = valueAt(live, path, root);
    const after = valueAt(applied, path, root);
    if (before.found && deepEqual(before.value, after.value)) continue;
    changedLeaves.add(leaf);
    for (const o of others) {
      if (o.entry.operation === 'Apply' && (o.entry.subresource ?? '') === subresource && o.fields.has(leaf)) {
        causes.push({
          reason: 'FieldManagerConflict',
          message: `conflict with "${o.entry.manager ?? ''}" using ${o.entry.apiVersion ?? ''}`,
          field: describePath(path),
        });
      }
    }
  }
  if (causes.length > 0 && !req.force) throw errors.applyConflict(req.resource, req.name, causes);

  // A changed field moves to this manager (forced Apply conflicts, and Update managers, which never conflict here).
  for (const o of others) for (const leaf of changedLeaves) o.fields.delete(leaf);

  const object = structuredClone(live);
  mergeApplied(object, applied, root);

  // Remove what this manager applied before and dropped, unless someone else still owns it or something below it.
  const ownedByOthers = (key: string): boolean => others.some((o) => [...o.fields].some((f) => f === key || f.startsWith(key + '\u0001')));
  const dropped = [...previousSet].filter((key) => !appliedSet.members.has(key) && !ownedByOthers(key));
  // Shallowest first: removing an item takes its fields along, while its fields removed first would leave an
  // item that no longer carries the key it is found by.
  dropped.sort((a, b) => pathOf(a).length - pathOf(b).length);
  for (const key of dropped) deleteAt(object, pathOf(key), root);

  const next: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (isMine(e)) continue;
    const o = others.find((x) => x.entry === e)!;
    if (o.fields.size > 0) next.push({ ...e, fieldsV1: toFieldsV1(o.fields) });
  }
  const mine = makeEntry(manager, 'Apply', apiVersion, now, appliedSet.members, subresource);
  // Keep the manager's position in the list when it was there already.
  const at = previous ? entries.indexOf(previous) : entries.length;
  next.splice(Math.min(at, next.length), 0, mine);
  setManagedFields(object, next);
  return { object, created: false };
}

/** Merges an apply configuration into the live object in place: maps recursively, keyed lists by key, sets by
 *  value, everything else (scalars, atomic lists and structs) replaced. */
function mergeApplied(live: JsonObject, applied: JsonObject, rules: TypeRules): void {
  for (const [key, value] of Object.entries(applied)) {
    const rule: FieldRule = rules[key] ?? {};
    if (value === null) {
      delete live[key];
    } else if (isJsonObject(value) && !rule.atomic && isJsonObject(live[key])) {
      mergeApplied(live[key] as JsonObject, value, rulesOf(rule.type));
    } else if (Array.isArray(value) && rule.list === 'merge' && Array.isArray(live[key])) {
      live[key] = mergeAppliedList(live[key] as unknown[], value, rule);
    } else {
      live[key] = structuredClone(value);
    }
  }
}

function mergeAppliedList(live: unknown[], applied: unknown[], rule: FieldRule): unknown[] {
  const out = [...live];
  const keyed = listKeys(rule) !== undefined;
  for (const item of applied) {
    if (keyed && isJsonObject(item)) {
      const element = itemElement(item, rule);
      const index = out.findIndex((i) => itemMatches(i, element, rule));
      if (index >= 0) {
        const merged = structuredClone(out[index]) as JsonObject;
        mergeApplied(merged, item, rulesOf(rule.type));
        out[index] = merged;
      } else {
        out.push(structuredClone(item));
      }
    } else if (!out.some((i) => deepEqual(i, item))) {
      out.push(structuredClone(item));
    }
  }
  return out;
}

/**
 * Records a non-apply write (create, update, any patch) by `manager` in `newObj.metadata.managedFields`: the
 * manager's Update entry gains every field it added or changed, other managers lose those fields, and fields that
 * disappeared leave every entry. Returns a copy of `newObj`; without a manager it is returned unchanged.
 */
export function recordUpdateManager(
  oldObj: JsonObject | undefined,
  newObj: JsonObject,
  manager: string | undefined,
  apiVersion: string,
  now: Date,
  kind: GroupKind = groupKindOf(newObj),
  subresource = '',
): JsonObject {
  if (!manager) return newObj;
  const root = rootRules(kind);
  const scope = subresource === 'status' ? 'status' : 'main';
  const after = fieldSetOf(newObj, root, scope);
  const changed = new Set<string>();
  for (const key of after.members) {
    const path = pathOf(key);
    if (!oldObj) {
      changed.add(key);
      continue;
    }
    const before = valueAt(oldObj, path, root);
    if (!before.found) changed.add(key);
    else if (after.leaves.has(key) && !deepEqual(before.value, valueAt(newObj, path, root).value)) changed.add(key);
  }
  const entries = oldObj ? managedFieldsOf(oldObj) : [];
  const isMine = (e: ManagedFieldsEntry): boolean => e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === subresource;
  // Only fields of the scope this write could touch disappear from the other entries.
  const inScope = (key: string): boolean => (pathOf(key)[0] === 'f:status') === (scope === 'status');
  const stillThere = (key: string): boolean => !inScope(key) || after.members.has(key);

  const next: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of entries) {
    const fields = [...fromFieldsV1(e.fieldsV1)].filter(stillThere);
    if (isMine(e)) {
      mine = makeEntry(manager, 'Update', apiVersion, timestamp(now), new Set([...fields, ...changed]), subresource);
      next.push(mine);
      continue;
    }
    const kept = fields.filter((f) => !changed.has(f) || !after.leaves.has(f));
    if (kept.length > 0) next.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  if (!mine && changed.size > 0) next.push(makeEntry(manager, 'Update', apiVersion, timestamp(now), changed, subresource));
  const out = structuredClone(newObj);
  setManagedFields(out, next);
  return out;
}

function groupKindOf(obj: JsonObject): GroupKind {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  return { group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '', kind: typeof obj.kind === 'string' ? obj.kind : '' };
}

function managedFieldsOf(obj: JsonObject): ManagedFieldsEntry[] {
  const meta = isJsonObject(obj.metadata) ? obj.metadata : {};
  const parsed = z.array(ManagedFieldsEntrySchema).safeParse(meta.managedFields ?? []);
  return parsed.success ? parsed.data : [];
}

function setManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[]): void {
  const meta = (isJsonObject(obj.metadata) ? obj.metadata : (obj.metadata = {})) as JsonObject;
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
}

function makeEntry(manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string, fields: Iterable<string>, subresource: string): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(fields),
    ...(subresource ? { subresource } : {}),
  };
}

function withoutServerMetadata(applied: JsonObject): JsonObject {
  const out = structuredClone(applied);
  if (isJsonObject(out.metadata)) for (const k of SERVER_METADATA) delete out.metadata[k];
  return out;
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}


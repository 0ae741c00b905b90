/**
 * The one seam between PATCH handling and the patch algorithms of shared/patch: JSON patch, JSON merge patch,
 * strategic merge patch, server-side apply, and managedFields bookkeeping for ordinary writes.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import { apiVersionOf, type ResourceType } from '../../shared/api/resource-type.ts';
import { errors } from '../../shared/api/status.ts';
import { applyJsonPatch } from '../../shared/patch/json-patch.ts';
import { applyMergePatch, isJsonObject } from '../../shared/patch/merge-patch.ts';
import type { GroupKind } from '../../shared/patch/patch-schema.ts';
import { recordUpdateManager, serverSideApply } from '../../shared/patch/server-side-apply.ts';
import { strategicMerge } from '../../shared/patch/strategic-merge.ts';
import type { PatchType } from './content.ts';

export interface PatchOptions {
  type: ResourceType;
  fieldManager?: string;
  force: boolean;
  now: Date;
  subresource?: string;
  /** The kind the patch applies to when it is not `type`'s (the Scale view). */
  kind?: GroupKind;
}

function asObject(value: unknown, what: string): KubeObject {
  if (!isJsonObject(value)) throw errors.badRequest(`${what} did not produce an object`);
  return value as KubeObject;
}

function groupKind(opts: PatchOptions): GroupKind {
  return opts.kind ?? { group: opts.type.group, kind: opts.type.kind };
}

/** Applies a decoded patch body to the current object; returns a new object. */
export function applyPatch(patchType: PatchType, current: KubeObject, patch: unknown, opts: PatchOptions): KubeObject {
  switch (patchType) {
    case 'json':
      return asObject(applyJsonPatch(current, patch), 'json patch');
    case 'merge':
      if (!isJsonObject(patch)) throw errors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      return asObject(applyMergePatch(structuredClone(current), patch), 'merge patch');
    case 'strategic':
      if (!isJsonObject(patch)) throw errors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      return asObject(strategicMerge(structuredClone(current) as never, patch, groupKind(opts)), 'strategic merge patch');
    case 'apply':
      return asObject(applyConfiguration(current, patch, opts), 'apply');
  }
}

function applyConfiguration(live: KubeObject | undefined, patch: unknown, opts: PatchOptions): unknown {
  if (!isJsonObject(patch)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
  return serverSideApply({
    live: live as never,
    applied: patch,
    fieldManager: opts.fieldManager,
    force: opts.force,
    kind: groupKind(opts),
    resource: { group: opts.type.group, resource: opts.type.resource },
    name: (live?.metadata.name ?? (patch.metadata as { name?: string } | undefined)?.name) || '',
    now: opts.now,
    subresource: opts.subresource,
  }).object;
}

/** Server-side apply against a missing object: the applied configuration becomes the new object. */
export function applyToMissing(patch: unknown, opts: PatchOptions): KubeObject {
  return asObject(applyConfiguration(undefined, patch, opts), 'apply');
}

/** Records the writing manager (an Update operation) in obj.metadata.managedFields, in place. */
export function recordManager(
  obj: KubeObject,
  old: KubeObject | undefined,
  opts: { type: ResourceType; fieldManager?: string; now: Date; subresource?: string },
): void {
  if (!opts.fieldManager) return;
  const recorded = recordUpdateManager(
    old as never,
    obj as never,
    opts.fieldManager,
    apiVersionOf(opts.type),
    opts.now,
    { group: opts.type.group, kind: opts.type.kind },
    opts.subresource ?? '',
  ) as unknown as KubeObject;
  if (recorded.metadata.managedFields === undefined) delete obj.metadata.managedFields;
  else obj.metadata.managedFields = recorded.metadata.managedFields;
}

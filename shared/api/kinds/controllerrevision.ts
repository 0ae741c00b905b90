/** apps/v1 ControllerRevision: DaemonSet/StatefulSet history snapshots; `data` is immutable. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { nameValidators, validateImmutable, validateNonnegative } from '../validation.ts';
import { defineKind, objectShape, type Json } from './meta.ts';

export const ControllerRevisionSchema = z.looseObject({
  ...objectShape('apps/v1', 'ControllerRevision'),
  data: z.unknown().optional(),
  revision: z.number().int(),
});
export type ControllerRevision = z.infer<typeof ControllerRevisionSchema>;

function validateControllerRevision(obj: Json, old?: Json): FieldError[] {
  const errs = validateNonnegative(obj.revision, 'revision');
  if (old) errs.push(...validateImmutable('data', obj.data, old.data));
  return errs;
}

/** `daemonset.apps/web` from the controller owner reference (formatResourceName with kind). */
function controllerName(obj: Json): string {
  const ref = ((obj.metadata?.ownerReferences ?? []) as Json[]).find((r) => r.controller);
  if (!ref) return '<none>';
  const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerrevisions = defineKind({
  group: 'apps',
  version: 'v1',
  resource: 'controllerrevisions',
  kind: 'ControllerRevision',
  namespaced: true,
  schema: ControllerRevisionSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain, validate: validateControllerRevision },
  table: {
    columns: [nameColumn, column('Controller', 'Controller of the object'), column('Revision', 'Revision indicates the revision of the state represented by Data.'), ageColumn],
    cells: (obj, now) => [obj.metadata.name, controllerName(obj as Json), (obj as Json).revision ?? 0, age(obj.metadata.creationTimestamp, now)],
  },
});

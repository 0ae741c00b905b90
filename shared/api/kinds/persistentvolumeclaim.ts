/** core/v1 PersistentVolumeClaim: volumeMode Filesystem by default; spec mostly immutable. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { canonicalJson, fieldErrors, nameValidators, validateResourceQuantity } from '../validation.ts';
import { ConditionSchema, defineKind, LabelSelectorSchema, objectShape, QuantitySchema, statusSubresource, type Json } from './meta.ts';

export const PersistentVolumeClaimSpecSchema = z.looseObject({
  accessModes: z.array(z.string()).optional(),
  selector: LabelSelectorSchema.optional(),
  resources: z
    .looseObject({ requests: z.record(z.string(), QuantitySchema).optional(), limits: z.record(z.string(), QuantitySchema).optional() })
    .optional(),
  volumeName: z.string().optional(),
  storageClassName: z.string().optional(),
  volumeMode: z.string().optional(),
  volumeAttributesClassName: z.string().optional(),
});

export const PersistentVolumeClaimSchema = z.looseObject({
  ...objectShape('v1', 'PersistentVolumeClaim'),
  spec: PersistentVolumeClaimSpecSchema,
  status: z
    .looseObject({
      phase: z.string().optional(),
      accessModes: z.array(z.string()).optional(),
      capacity: z.record(z.string(), QuantitySchema).optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type PersistentVolumeClaim = z.infer<typeof PersistentVolumeClaimSchema>;

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const ACCESS_MODE_SHORT: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

export function applyPvcSpecDefaults(spec: Json | undefined): void {
  if (spec) spec.volumeMode ||= 'Filesystem';
}

export function validatePvcSpec(spec: Json | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const modes = (spec?.accessModes ?? []) as string[];
  if (modes.length === 0) errs.push(fieldErrors.required(`${path}.accessModes`, 'at least 1 access mode is required'));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(fieldErrors.notSupported(`${path}.accessModes`, m, ACCESS_MODES));
  const storage = spec?.resources?.requests?.storage;
  if (storage === undefined) errs.push(fieldErrors.required(`${path}.resources[storage]`));
  else errs.push(...validateResourceQuantity(storage, `${path}.resources.requests[storage]`));
  if (spec?.volumeMode && !['Block', 'Filesystem'].includes(spec.volumeMode)) errs.push(fieldErrors.notSupported(`${path}.volumeMode`, spec.volumeMode, ['Block', 'Filesystem']));
  return errs;
}

function validatePvc(obj: Json, old?: Json): FieldError[] {
  const errs = validatePvcSpec(obj.spec, 'spec');
  if (old) {
    // Only requests (expansion) and the attributes class may change; binding fills volumeName once.
    const strip = (s: Json | undefined) => {
      const c = structuredClone(s ?? {});
      delete c.resources;
      delete c.volumeAttributesClassName;
      if (!old.spec?.volumeName) delete c.volumeName;
      return canonicalJson(c);
    };
    if (strip(obj.spec) !== strip(old.spec)) {
      errs.push(fieldErrors.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
  }
  return errs;
}

export const persistentvolumeclaims = defineKind({
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: [statusSubresource('', 'v1', 'PersistentVolumeClaim')],
  schema: PersistentVolumeClaimSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: false,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      obj.spec ??= {};
      applyPvcSpecDefaults(obj.spec);
      obj.status ??= {};
      obj.status.phase ||= 'Pending';
    },
    validate: validatePvc,
  },
  table: {
    columns: [
      nameColumn,
      column('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      column('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      column('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      column('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      column('StorageClass', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
      ageColumn,
      column('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', { wide: true }),
    ],
    cells: (obj, now) => {
      const pvc = obj as PersistentVolumeClaim;
      const bound = !!pvc.spec?.volumeName;
      const phase = pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
      const capacity = bound ? String(pvc.status?.capacity?.storage ?? '') : '';
      const modes = bound ? (pvc.status?.accessModes ?? []).map((m) => ACCESS_MODE_SHORT[m] ?? m).join(',') : '';
      const storageClass = pvc.spec?.storageClassName ?? pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
      return [
        pvc.metadata.name,
        phase,
        pvc.spec?.volumeName ?? '',
        capacity,
        modes,
        storageClass,
        pvc.spec?.volumeAttributesClassName || '<unset>',
        age(pvc.metadata.creationTimestamp, now),
        pvc.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
});

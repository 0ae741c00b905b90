/** apps/v1 StatefulSet: OrderedReady, RollingUpdate partition 0, PVC retention Retain/Retain; most of spec frozen. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, containerCells, containersColumn, imagesColumn, nameColumn } from '../table-format.ts';
import { canonicalJson, fieldErrors, nameValidators, validateNonnegative } from '../validation.ts';
import { ConditionSchema, defineKind, LabelSelectorSchema, objectShape, scaleSubresource, statusSubresource, type Json } from './meta.ts';
import { applyPodTemplateDefaults, PodTemplateSpecSchema } from './pod-spec.ts';
import { applyPvcSpecDefaults, PersistentVolumeClaimSpecSchema } from './persistentvolumeclaim.ts';
import { applyRollingUpdateDefaults, validateReplicaCounts, validateSelectorAndTemplate } from './workload.ts';
import { ObjectMetaSchema } from '../object.ts';

export const StatefulSetSchema = z.looseObject({
  ...objectShape('apps/v1', 'StatefulSet'),
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema,
    volumeClaimTemplates: z.array(z.looseObject({ metadata: ObjectMetaSchema.optional(), spec: PersistentVolumeClaimSpecSchema.optional() })).optional(),
    serviceName: z.string().optional(),
    podManagementPolicy: z.string().optional(),
    updateStrategy: z
      .looseObject({
        type: z.string().optional(),
        rollingUpdate: z.looseObject({ partition: z.number().int().optional(), maxUnavailable: z.union([z.number(), z.string()]).optional() }).optional(),
      })
      .optional(),
    revisionHistoryLimit: z.number().int().optional(),
    minReadySeconds: z.number().int().optional(),
    persistentVolumeClaimRetentionPolicy: z.looseObject({ whenDeleted: z.string().optional(), whenScaled: z.string().optional() }).optional(),
    ordinals: z.looseObject({ start: z.number().int().optional() }).optional(),
  }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      currentReplicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
      collisionCount: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type StatefulSet = z.infer<typeof StatefulSetSchema>;

const MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSet(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  // Containers may mount the volumeClaimTemplates: the controller adds one volume per claim to each pod.
  const claims = ((spec.volumeClaimTemplates ?? []) as Json[]).map((t) => ({ name: t.metadata?.name, persistentVolumeClaim: { claimName: t.metadata?.name } }));
  const withClaims = spec.template?.spec && claims.length ? { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, volumes: [...(spec.template.spec.volumes ?? []), ...claims] } } } : spec;
  const errs = [...validateReplicaCounts(spec, 'spec'), ...validateSelectorAndTemplate(withClaims, 'spec', 'statefulset', { restartPolicies: ['Always'] })];
  if (!['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy)) {
    errs.push(fieldErrors.invalid('spec.podManagementPolicy', spec.podManagementPolicy ?? '', "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = spec.updateStrategy ?? {};
  if (!['OnDelete', 'RollingUpdate'].includes(us.type)) {
    errs.push(fieldErrors.invalid('spec.updateStrategy', us.type ?? '', "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (us.type === 'OnDelete' && us.rollingUpdate) errs.push(fieldErrors.invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  errs.push(...validateNonnegative(us.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition'));
  for (const k of ['whenDeleted', 'whenScaled']) {
    const v = spec.persistentVolumeClaimRetentionPolicy?.[k];
    if (v && !['Retain', 'Delete'].includes(v)) errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
  }
  if (old) {
    const frozen = (s: Json | undefined) => canonicalJson(Object.fromEntries(Object.entries(s ?? {}).filter(([k]) => !MUTABLE.includes(k))));
    if (frozen(spec) !== frozen(old.spec)) {
      errs.push(
        fieldErrors.forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}

export const statefulsets = defineKind({
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
  kind: 'StatefulSet',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('apps', 'v1', 'StatefulSet')],
  schema: StatefulSetSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      const spec = (obj.spec ??= {});
      spec.replicas ??= 1;
      spec.podManagementPolicy ||= 'OrderedReady';
      applyRollingUpdateDefaults(spec, 'updateStrategy', { partition: 0 });
      spec.revisionHistoryLimit ??= 10;
      spec.persistentVolumeClaimRetentionPolicy ??= {};
      spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
      spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
      for (const t of (spec.volumeClaimTemplates ?? []) as Json[]) {
        t.spec ??= {};
        applyPvcSpecDefaults(t.spec);
        t.status ??= { phase: 'Pending' };
      }
      applyPodTemplateDefaults(spec.template);
    },
    validate: validateStatefulSet,
  },
  table: {
    columns: [nameColumn, column('Ready', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
    cells: (obj, now) => {
      const s = obj as StatefulSet;
      return [
        s.metadata.name,
        `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`,
        age(s.metadata.creationTimestamp, now),
        ...containerCells(s.spec?.template?.spec?.containers),
      ];
    },
  },
});

/** apps/v1 ReplicaSet: replicas 1 by default, selector immutable. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn, podTemplateCells, podTemplateColumns } from '../table-format.ts';
import { nameValidators, validateImmutable } from '../validation.ts';
import { ConditionSchema, defineKind, LabelSelectorSchema, objectShape, scaleSubresource, statusSubresource, type Json } from './meta.ts';
import { applyPodTemplateDefaults, PodTemplateSpecSchema } from './pod-spec.ts';
import { validateReplicaCounts, validateSelectorAndTemplate } from './workload.ts';

export const ReplicaSetSchema = z.looseObject({
  ...objectShape('apps/v1', 'ReplicaSet'),
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    minReadySeconds: z.number().int().optional(),
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema.optional(),
  }),
  status: z
    .looseObject({
      replicas: z.number().int().optional(),
      fullyLabeledReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      terminatingReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type ReplicaSet = z.infer<typeof ReplicaSetSchema>;

function validateReplicaSet(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = [...validateReplicaCounts(spec, 'spec'), ...validateSelectorAndTemplate(spec, 'spec', 'deployment', { restartPolicies: ['Always'] })];
  if (old) errs.push(...validateImmutable('spec.selector', spec.selector, old.spec?.selector));
  return errs;
}

export const replicasets = defineKind({
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('apps', 'v1', 'ReplicaSet')],
  schema: ReplicaSetSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      applyPodTemplateDefaults(obj.spec.template);
    },
    validate: validateReplicaSet,
  },
  table: {
    columns: [
      nameColumn,
      column('Desired', 'Replicas is the number of desired pods.', { type: 'integer' }),
      column('Current', 'Replicas is the most recently observed number of non-terminating pods.', { type: 'integer' }),
      column('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', { type: 'integer' }),
      ageColumn,
      ...podTemplateColumns,
    ],
    cells: (obj, now) => {
      const rs = obj as ReplicaSet;
      return [
        rs.metadata.name,
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        age(rs.metadata.creationTimestamp, now),
        ...podTemplateCells(rs.spec?.template, rs.spec?.selector),
      ];
    },
  },
  selectableFields: (rs) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }),
});

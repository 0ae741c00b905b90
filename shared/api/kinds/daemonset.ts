/** apps/v1 DaemonSet: RollingUpdate maxUnavailable 1 / maxSurge 0 by default. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, formatLabels, nameColumn, podTemplateCells, podTemplateColumns } from '../table-format.ts';
import { fieldErrors, nameValidators, validateImmutable, validateIntOrPercent } from '../validation.ts';
import { ConditionSchema, defineKind, IntOrStringSchema, LabelSelectorSchema, objectShape, statusSubresource, type Json } from './meta.ts';
import { applyPodTemplateDefaults, PodTemplateSpecSchema } from './pod-spec.ts';
import { applyRollingUpdateDefaults, validateReplicaCounts, validateSelectorAndTemplate } from './workload.ts';

export const DaemonSetSchema = z.looseObject({
  ...objectShape('apps/v1', 'DaemonSet'),
  spec: z.looseObject({
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema,
    updateStrategy: z
      .looseObject({
        type: z.string().optional(),
        rollingUpdate: z.looseObject({ maxUnavailable: IntOrStringSchema.optional(), maxSurge: IntOrStringSchema.optional() }).optional(),
      })
      .optional(),
    minReadySeconds: z.number().int().optional(),
    revisionHistoryLimit: z.number().int().optional(),
  }),
  status: z
    .looseObject({
      currentNumberScheduled: z.number().int().optional(),
      numberMisscheduled: z.number().int().optional(),
      desiredNumberScheduled: z.number().int().optional(),
      numberReady: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      updatedNumberScheduled: z.number().int().optional(),
      numberAvailable: z.number().int().optional(),
      numberUnavailable: z.number().int().optional(),
      collisionCount: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type DaemonSet = z.infer<typeof DaemonSetSchema>;

const UPDATE_TYPES = ['OnDelete', 'RollingUpdate'];

function validateDaemonSet(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = [...validateReplicaCounts(spec, 'spec'), ...validateSelectorAndTemplate(spec, 'spec', 'daemonset', { restartPolicies: ['Always'] })];
  const us = spec.updateStrategy ?? {};
  if (!UPDATE_TYPES.includes(us.type)) errs.push(fieldErrors.notSupported('spec.updateStrategy.type', us.type ?? '', UPDATE_TYPES));
  if (us.type === 'RollingUpdate' && us.rollingUpdate) {
    errs.push(...validateIntOrPercent(us.rollingUpdate.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
    errs.push(...validateIntOrPercent(us.rollingUpdate.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
    const zero = (v: unknown) => v === 0 || v === '0%' || v === undefined;
    if (zero(us.rollingUpdate.maxUnavailable) && zero(us.rollingUpdate.maxSurge)) {
      errs.push(fieldErrors.invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', us.rollingUpdate.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (old) errs.push(...validateImmutable('spec.selector', spec.selector, old.spec?.selector));
  return errs;
}

export const daemonsets = defineKind({
  group: 'apps',
  version: 'v1',
  resource: 'daemonsets',
  kind: 'DaemonSet',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  subresources: [statusSubresource('apps', 'v1', 'DaemonSet')],
  schema: DaemonSetSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      const spec = (obj.spec ??= {});
      applyRollingUpdateDefaults(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
      spec.revisionHistoryLimit ??= 10;
      applyPodTemplateDefaults(spec.template);
    },
    validate: validateDaemonSet,
  },
  table: {
    columns: [
      nameColumn,
      column('Desired', 'The total number of nodes that should be running the daemon pod.', { type: 'integer' }),
      column('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', { type: 'integer' }),
      column('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', { type: 'integer' }),
      column('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
      column('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', { type: 'integer' }),
      column('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
      ageColumn,
      ...podTemplateColumns,
    ],
    cells: (obj, now) => {
      const ds = obj as DaemonSet;
      const st = ds.status ?? {};
      return [
        ds.metadata.name,
        st.desiredNumberScheduled ?? 0,
        st.currentNumberScheduled ?? 0,
        st.numberReady ?? 0,
        st.updatedNumberScheduled ?? 0,
        st.numberAvailable ?? 0,
        formatLabels(ds.spec?.template?.spec?.nodeSelector),
        age(ds.metadata.creationTimestamp, now),
        ...podTemplateCells(ds.spec?.template, ds.spec?.selector),
      ];
    },
  },
});

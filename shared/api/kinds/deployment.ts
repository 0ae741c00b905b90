/** apps/v1 Deployment: RollingUpdate 25%/25% by default, selector immutable, READY `ready/desired`. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn, podTemplateCells, podTemplateColumns } from '../table-format.ts';
import { fieldErrors, nameValidators, validateImmutable, validateIntOrPercent, validateNonnegative } from '../validation.ts';
import { ConditionSchema, defineKind, IntOrStringSchema, LabelSelectorSchema, objectShape, scaleSubresource, statusSubresource, type Json } from './meta.ts';
import { applyPodTemplateDefaults, PodTemplateSpecSchema } from './pod-spec.ts';
import { applyRollingUpdateDefaults, validateReplicaCounts, validateSelectorAndTemplate } from './workload.ts';

export const DeploymentSchema = z.looseObject({
  ...objectShape('apps/v1', 'Deployment'),
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema,
    strategy: z
      .looseObject({
        type: z.string().optional(),
        rollingUpdate: z.looseObject({ maxUnavailable: IntOrStringSchema.optional(), maxSurge: IntOrStringSchema.optional() }).optional(),
      })
      .optional(),
    minReadySeconds: z.number().int().optional(),
    revisionHistoryLimit: z.number().int().optional(),
    paused: z.boolean().optional(),
    progressDeadlineSeconds: z.number().int().optional(),
  }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      terminatingReplicas: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
      collisionCount: z.number().int().optional(),
    })
    .optional(),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

const STRATEGY_TYPES = ['Recreate', 'RollingUpdate'];

function isZeroIntOrPercent(v: unknown): boolean {
  return v === 0 || v === '0%';
}

function validateDeployment(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = [...validateReplicaCounts(spec, 'spec'), ...validateSelectorAndTemplate(spec, 'spec', 'deployment', { restartPolicies: ['Always'] })];
  const strategy = spec.strategy ?? {};
  if (!STRATEGY_TYPES.includes(strategy.type)) errs.push(fieldErrors.notSupported('spec.strategy.type', strategy.type ?? '', STRATEGY_TYPES));
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    errs.push(fieldErrors.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  const ru = strategy.rollingUpdate;
  if (strategy.type === 'RollingUpdate' && ru) {
    errs.push(...validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    errs.push(...validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    if (typeof ru.maxUnavailable === 'string' && parseInt(ru.maxUnavailable, 10) > 100) {
      errs.push(fieldErrors.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'));
    }
    if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge)) {
      errs.push(fieldErrors.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  errs.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  if (old) errs.push(...validateImmutable('spec.selector', spec.selector, old.spec?.selector));
  return errs;
}

export const deployments = defineKind({
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('apps', 'v1', 'Deployment')],
  schema: DeploymentSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      const spec = (obj.spec ??= {});
      spec.replicas ??= 1;
      applyRollingUpdateDefaults(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      applyPodTemplateDefaults(spec.template);
    },
    validate: validateDeployment,
  },
  table: {
    columns: [
      nameColumn,
      column('Ready', 'Number of the pod with ready state'),
      column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn,
      ...podTemplateColumns,
    ],
    cells: (obj, now) => {
      const d = obj as Deployment;
      const st = d.status ?? {};
      return [
        d.metadata.name,
        `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        st.updatedReplicas ?? 0,
        st.availableReplicas ?? 0,
        age(d.metadata.creationTimestamp, now),
        ...podTemplateCells(d.spec?.template, d.spec?.selector),
      ];
    },
  },
});

/** policy/v1 PodDisruptionBudget: minAvailable xor maxUnavailable; consulted by pods/eviction. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, nameValidators, validateIntOrPercent } from '../validation.ts';
import { ConditionSchema, defineKind, IntOrStringSchema, LabelSelectorSchema, objectShape, statusSubresource, validateLabelSelector, type Json } from './meta.ts';

export const PodDisruptionBudgetSchema = z.looseObject({
  ...objectShape('policy/v1', 'PodDisruptionBudget'),
  spec: z
    .looseObject({
      minAvailable: IntOrStringSchema.optional(),
      maxUnavailable: IntOrStringSchema.optional(),
      selector: LabelSelectorSchema.optional(),
      unhealthyPodEvictionPolicy: z.string().optional(),
    })
    .optional(),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      disruptedPods: z.record(z.string(), z.string()).optional(),
      disruptionsAllowed: z.number().int().optional(),
      currentHealthy: z.number().int().optional(),
      desiredHealthy: z.number().int().optional(),
      expectedPods: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type PodDisruptionBudget = z.infer<typeof PodDisruptionBudgetSchema>;

function validatePdb(obj: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const k of ['minAvailable', 'maxUnavailable']) {
    errs.push(...validateIntOrPercent(spec[k], `spec.${k}`));
    if (typeof spec[k] === 'string' && parseInt(spec[k], 10) > 100) errs.push(fieldErrors.invalid(`spec.${k}`, spec[k], 'must not be greater than 100%'));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policies = ['AlwaysAllow', 'IfHealthyBudget'];
  if (spec.unhealthyPodEvictionPolicy && !policies.includes(spec.unhealthyPodEvictionPolicy)) {
    errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, policies));
  }
  return errs;
}

export const poddisruptionbudgets = defineKind({
  group: 'policy',
  version: 'v1',
  resource: 'poddisruptionbudgets',
  kind: 'PodDisruptionBudget',
  namespaced: true,
  shortNames: ['pdb'],
  subresources: [statusSubresource('policy', 'v1', 'PodDisruptionBudget')],
  schema: PodDisruptionBudgetSchema,
  strategy: { hasStatusSubresource: true, tracksGeneration: true, name: nameValidators.dnsSubdomain, validate: validatePdb },
  table: {
    columns: [
      nameColumn,
      column('Min Available', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      column('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }),
      ageColumn,
    ],
    cells: (obj, now) => {
      const p = obj as PodDisruptionBudget;
      return [
        p.metadata.name,
        p.spec?.minAvailable !== undefined ? String(p.spec.minAvailable) : 'N/A',
        p.spec?.maxUnavailable !== undefined ? String(p.spec.maxUnavailable) : 'N/A',
        p.status?.disruptionsAllowed ?? 0,
        age(p.metadata.creationTimestamp, now),
      ];
    },
  },
});

/** autoscaling/v2 HorizontalPodAutoscaler: minReplicas 1, default CPU 80% metric, behavior defaults when present. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, nameValidators } from '../validation.ts';
import { ConditionSchema, defineKind, objectShape, statusSubresource, type Json } from './meta.ts';

const MetricTargetSchema = z.looseObject({
  type: z.string(),
  value: z.union([z.string(), z.number()]).optional(),
  averageValue: z.union([z.string(), z.number()]).optional(),
  averageUtilization: z.number().int().optional(),
});

export const HorizontalPodAutoscalerSchema = z.looseObject({
  ...objectShape('autoscaling/v2', 'HorizontalPodAutoscaler'),
  spec: z.looseObject({
    scaleTargetRef: z.looseObject({ kind: z.string(), name: z.string(), apiVersion: z.string().optional() }),
    minReplicas: z.number().int().optional(),
    maxReplicas: z.number().int(),
    metrics: z
      .array(
        z.looseObject({
          type: z.string(),
          resource: z.looseObject({ name: z.string(), target: MetricTargetSchema }).optional(),
        }),
      )
      .optional(),
    behavior: z.looseObject({}).optional(),
  }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      lastScaleTime: z.string().nullable().optional(),
      currentReplicas: z.number().int().optional(),
      desiredReplicas: z.number().int().optional(),
      currentMetrics: z.array(z.looseObject({ type: z.string() })).optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type HorizontalPodAutoscaler = z.infer<typeof HorizontalPodAutoscalerSchema>;

function scalingRules(rules: Json | undefined, up: boolean): Json {
  const r = rules ?? {};
  if (!r.policies?.length) {
    r.policies = up
      ? [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
  r.selectPolicy ||= 'Max';
  // Scale-down's window stays unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
  if (up) r.stabilizationWindowSeconds ??= 0;
  return r;
}

function validateHpa(obj: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!spec.scaleTargetRef?.kind) errs.push(fieldErrors.required('spec.scaleTargetRef.kind'));
  if (!spec.scaleTargetRef?.name) errs.push(fieldErrors.required('spec.scaleTargetRef.name'));
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) errs.push(fieldErrors.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (spec.maxReplicas === undefined || spec.maxReplicas < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than or equal to 1'));
  if (spec.minReplicas !== undefined && spec.maxReplicas !== undefined && spec.minReplicas > spec.maxReplicas) {
    errs.push(fieldErrors.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
  ((spec.metrics ?? []) as Json[]).forEach((m, i) => {
    if (!types.includes(m.type)) errs.push(fieldErrors.notSupported(`spec.metrics[${i}].type`, m.type ?? '', types));
    const target = m.resource?.target;
    if (m.type === 'Resource' && target?.averageUtilization !== undefined && target.averageUtilization < 1) {
      errs.push(fieldErrors.invalid(`spec.metrics[${i}].resource.target.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
    }
  });
  return errs;
}

/** formatHPAMetrics: `cpu: 12%/80%`, `<unknown>` before the first measurement, two at most then ` + N more...`. */
export function hpaTargetsCell(hpa: HorizontalPodAutoscaler): string {
  const specs = (hpa.spec?.metrics ?? []) as Json[];
  if (specs.length === 0) return '<none>';
  const statuses = (hpa.status?.currentMetrics ?? []) as Json[];
  const list: string[] = [];
  const max = 2;
  specs.forEach((spec, i) => {
    if (list.length >= max) return;
    const status = statuses[i];
    let item: string;
    switch (spec.type) {
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = status?.[spec.type === 'Resource' ? 'resource' : 'containerResource']?.current;
        if (src?.target?.averageValue !== undefined) {
          item = `${src.name}: ${cur?.averageValue ?? '<unknown>'}/${src.target.averageValue}`;
        } else {
          const current = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
          item = `${src?.name}: ${current}/${src?.target?.averageUtilization ?? 80}%`;
        }
        break;
      }
      case 'Pods':
        item = `${status?.pods?.current?.averageValue ?? '<unknown>'}/${spec.pods?.target?.averageValue ?? ''}`;
        break;
      case 'Object': {
        const t = spec.object?.target ?? {};
        const c = status?.object?.current ?? {};
        item = t.averageValue !== undefined ? `${c.averageValue ?? '<unknown>'}/${t.averageValue} (avg)` : `${c.value ?? '<unknown>'}/${t.value ?? ''}`;
        break;
      }
      case 'External': {
        const t = spec.external?.target ?? {};
        const c = status?.external?.current ?? {};
        item = t.averageValue !== undefined ? `${c.averageValue ?? '<unknown>'}/${t.averageValue} (avg)` : `${c.value ?? '<unknown>'}/${t.value ?? ''}`;
        break;
      }
      default:
        item = '<unknown type>';
    }
    list.push(item);
  });
  const ret = list.join(', ');
  return specs.length > max ? `${ret} + ${specs.length - max} more...` : ret;
}

export const horizontalpodautoscalers = defineKind({
  group: 'autoscaling',
  version: 'v2',
  resource: 'horizontalpodautoscalers',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: [statusSubresource('autoscaling', 'v2', 'HorizontalPodAutoscaler')],
  schema: HorizontalPodAutoscalerSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      const spec = (obj.spec ??= {});
      spec.minReplicas ??= 1;
      if (!spec.metrics?.length) {
        spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
      }
      if (spec.behavior) {
        spec.behavior.scaleUp = scalingRules(spec.behavior.scaleUp, true);
        spec.behavior.scaleDown = scalingRules(spec.behavior.scaleDown, false);
      }
    },
    validate: validateHpa,
  },
  table: {
    columns: [
      nameColumn,
      column('Reference', 'scaleTargetRef points to the target resource to scale'),
      column('Targets', 'metrics contains the specifications for which to use to calculate the desired replica count'),
      column('MinPods', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
      column('MaxPods', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
      column('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler'),
      ageColumn,
    ],
    cells: (obj, now) => {
      const h = obj as HorizontalPodAutoscaler;
      return [
        h.metadata.name,
        `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`,
        hpaTargetsCell(h),
        h.spec?.minReplicas === undefined ? '<unset>' : String(h.spec.minReplicas),
        h.spec?.maxReplicas ?? 0,
        h.status?.currentReplicas ?? 0,
        age(h.metadata.creationTimestamp, now),
      ];
    },
  },
});

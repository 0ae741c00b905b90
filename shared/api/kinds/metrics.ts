/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: read-only views computed on request from the nodes' resource
 * readings (metrics-server's API, which `kubectl top` and the HPA read). Nothing of them is stored: the API core
 * answers them from a MetricsSource, so they offer get and list only.
 */
import { z } from 'zod';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape, QuantitySchema } from './meta.ts';

export const METRICS_GROUP = 'metrics.k8s.io';

const UsageSchema = z.looseObject({ cpu: QuantitySchema, memory: QuantitySchema });

export const NodeMetricsSchema = z.looseObject({
  ...objectShape('metrics.k8s.io/v1beta1', 'NodeMetrics'),
  timestamp: z.string(),
  window: z.string(),
  usage: UsageSchema,
});
export type NodeMetrics = z.infer<typeof NodeMetricsSchema>;

export const PodMetricsSchema = z.looseObject({
  ...objectShape('metrics.k8s.io/v1beta1', 'PodMetrics'),
  timestamp: z.string(),
  window: z.string(),
  containers: z.array(z.looseObject({ name: z.string(), usage: UsageSchema })),
});
export type PodMetrics = z.infer<typeof PodMetricsSchema>;

const readOnly = { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain } as const;

export const nodeMetrics = defineKind({
  group: METRICS_GROUP,
  version: 'v1beta1',
  resource: 'nodes',
  kind: 'NodeMetrics',
  namespaced: false,
  verbs: ['get', 'list'],
  schema: NodeMetricsSchema,
  strategy: readOnly,
  table: {
    columns: [nameColumn, column('CPU', 'CPU in use.'), column('Memory', 'Memory working set.'), column('Window', 'The window the rate was measured over.'), ageColumn],
    cells: (obj, now) => {
      const m = obj as NodeMetrics;
      return [m.metadata.name, String(m.usage?.cpu ?? ''), String(m.usage?.memory ?? ''), m.window ?? '', age(m.metadata.creationTimestamp, now)];
    },
  },
});

export const podMetrics = defineKind({
  group: METRICS_GROUP,
  version: 'v1beta1',
  resource: 'pods',
  kind: 'PodMetrics',
  namespaced: true,
  verbs: ['get', 'list'],
  schema: PodMetricsSchema,
  strategy: readOnly,
  table: {
    columns: [nameColumn, column('Containers', 'Containers with readings.'), column('Window', 'The window the rate was measured over.'), ageColumn],
    cells: (obj, now) => {
      const m = obj as PodMetrics;
      return [m.metadata.name, (m.containers ?? []).length, m.window ?? '', age(m.metadata.creationTimestamp, now)];
    },
  },
});

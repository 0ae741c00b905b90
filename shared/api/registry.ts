/**
 * Every served resource type, in the order Kubernetes lists them, and lookups by resource, kind and name.
 * The `autoscaling/v1` Scale kind exists only as the `scale` subresource's kind (deployments, replicasets,
 * statefulsets), so autoscaling is served as v2 with no v1 resources of its own.
 */
import { apiVersionOf, type ResourceType } from './resource-type.ts';
import { namespaces } from './kinds/namespace.ts';
import { pods } from './kinds/pod.ts';
import { services } from './kinds/service.ts';
import { endpoints } from './kinds/endpoints.ts';
import { configmaps } from './kinds/configmap.ts';
import { secrets } from './kinds/secret.ts';
import { nodes } from './kinds/node.ts';
import { events } from './kinds/event.ts';
import { serviceaccounts } from './kinds/serviceaccount.ts';
import { persistentvolumeclaims } from './kinds/persistentvolumeclaim.ts';
import { deployments } from './kinds/deployment.ts';
import { replicasets } from './kinds/replicaset.ts';
import { daemonsets } from './kinds/daemonset.ts';
import { statefulsets } from './kinds/statefulset.ts';
import { controllerrevisions } from './kinds/controllerrevision.ts';
import { jobs } from './kinds/job.ts';
import { cronjobs } from './kinds/cronjob.ts';
import { horizontalpodautoscalers } from './kinds/horizontalpodautoscaler.ts';
import { leases } from './kinds/lease.ts';
import { endpointslices } from './kinds/endpointslice.ts';
import { poddisruptionbudgets } from './kinds/poddisruptionbudget.ts';
import { roles } from './kinds/role.ts';
import { clusterroles } from './kinds/clusterrole.ts';
import { rolebindings } from './kinds/rolebinding.ts';
import { clusterrolebindings } from './kinds/clusterrolebinding.ts';
import { selfsubjectreviews, tokenreviews } from './kinds/authentication.ts';
import { selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews } from './kinds/authorization.ts';
import { nodeMetrics, podMetrics } from './kinds/metrics.ts';

export const resourceTypes: ResourceType[] = [
  // core/v1, alphabetical as /api/v1 lists them
  configmaps,
  endpoints,
  events,
  namespaces,
  nodes,
  persistentvolumeclaims,
  pods,
  secrets,
  serviceaccounts,
  services,
  // apps/v1
  controllerrevisions,
  daemonsets,
  deployments,
  replicasets,
  statefulsets,
  // batch/v1
  cronjobs,
  jobs,
  // autoscaling/v2
  horizontalpodautoscalers,
  // coordination.k8s.io/v1
  leases,
  // discovery.k8s.io/v1
  endpointslices,
  // policy/v1
  poddisruptionbudgets,
  // rbac.authorization.k8s.io/v1
  clusterrolebindings,
  clusterroles,
  rolebindings,
  roles,
  // authentication.k8s.io/v1, authorization.k8s.io/v1 (reviews: answered on request, never stored)
  selfsubjectreviews,
  tokenreviews,
  selfsubjectaccessreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  // metrics.k8s.io/v1beta1 (computed on request, never stored)
  nodeMetrics,
  podMetrics,
];

export interface GroupVersion {
  group: string;
  version: string;
}

/** Served group-versions in Kubernetes' discovery order (core first, then by group priority). */
export const servedGroupVersions: GroupVersion[] = [
  { group: '', version: 'v1' },
  { group: 'apps', version: 'v1' },
  { group: 'batch', version: 'v1' },
  { group: 'autoscaling', version: 'v2' },
  { group: 'coordination.k8s.io', version: 'v1' },
  { group: 'discovery.k8s.io', version: 'v1' },
  { group: 'policy', version: 'v1' },
  { group: 'rbac.authorization.k8s.io', version: 'v1' },
  { group: 'authentication.k8s.io', version: 'v1' },
  { group: 'authorization.k8s.io', version: 'v1' },
  { group: 'metrics.k8s.io', version: 'v1beta1' },
];

export function resourcesIn(group: string, version: string): ResourceType[] {
  return resourceTypes.filter((t) => t.group === group && t.version === version);
}

export function findByResource(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

/** Resolves what a user typed (`po`, `deploy`, `deployment`, `deployments.apps`) the way kubectl's RESTMapper does. */
export function findByName(name: string): ResourceType | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const [base, group] = dot > 0 ? [lower.slice(0, dot), lower.slice(dot + 1)] : [lower, undefined];
  return resourceTypes.find(
    (t) =>
      (group === undefined || t.group === group) &&
      (t.resource === base || t.singular === base || t.shortNames.includes(base) || t.kind.toLowerCase() === base),
  );
}

/** Field-selector fields a resource type accepts: metadata.name (+ metadata.namespace) plus its selectableFields. */
export function supportedFieldLabels(t: ResourceType): string[] {
  const fields = ['metadata.name'];
  if (t.namespaced) fields.push('metadata.namespace');
  // selectableFields reads every field optionally, so an empty object yields the full key set.
  if (t.selectableFields) fields.push(...Object.keys(t.selectableFields({ apiVersion: apiVersionOf(t), kind: t.kind, metadata: {} })));
  return fields;
}

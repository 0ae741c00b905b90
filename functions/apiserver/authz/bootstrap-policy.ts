/**
 * The built-in RBAC policy every cluster starts with (apiserver's bootstrappolicy, trimmed to the kinds served
 * here): cluster-admin bound to system:masters; the aggregated user-facing roles admin ⊃ edit ⊃ view (their
 * aggregationRules select the `system:aggregate-to-*` roles, and their stored rules are the aggregation already
 * done, as the clusterrole-aggregation controller would write them); system:discovery, system:basic-user and
 * system:public-info-viewer bound to every authenticated user; system:node (documentation of what the Node
 * authorizer grants, unbound as in Kubernetes) and system:auth-delegator. Created when missing; never overwritten,
 * so an administrator's edits stay.
 */
import type { ClusterRole } from '../../../shared/api/kinds/clusterrole.ts';
import type { ClusterRoleBinding } from '../../../shared/api/kinds/clusterrolebinding.ts';
import type { PolicyRule } from '../../../shared/api/kinds/rbac.ts';
import { aggregatedRules } from './rbac.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { isStatusError } from '../../../shared/api/status.ts';
import type { ObjectStore } from '../../store/object-store.ts';
import type { Registry, WriteOptions } from '../registry-store.ts';
import type { ResourceTypes } from '../resource-types.ts';

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL_RW = [...WRITE.slice(0, 3), 'get', 'list', 'patch', 'update', 'watch'];

const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function clusterRole(name: string, rules: PolicyRule[], extra: { labels?: Record<string, string>; aggregateTo?: string } = {}): ClusterRole {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...(extra.labels ?? {}) }, annotations: { ...AUTOUPDATE } },
    rules,
    ...(extra.aggregateTo
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${RBAC}/aggregate-to-${extra.aggregateTo}`]: 'true' } }] } }
      : {}),
  };
}

function binding(name: string, role: string, subjects: Array<{ kind: 'Group' | 'User'; name: string }>): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => ({ ...s, apiGroup: RBAC })),
  };
}

const aggregateTo = (role: string) => ({ [`${RBAC}/aggregate-to-${role}`]: 'true' });

const viewRules: PolicyRule[] = [
  rule(READ, [''], [
    'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers',
    'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status',
  ]),
  rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], [
    'controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets',
    'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status',
  ]),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['events.k8s.io'], ['events']),
  rule(READ, ['metrics.k8s.io'], ['pods', 'nodes']),
];

const editRules: PolicyRule[] = [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(ALL_RW, ['coordination.k8s.io'], ['leases']),
];

const adminRules: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(ALL_RW, [RBAC], ['rolebindings', 'roles']),
];

/** What the Node authorizer lets a node do (node-authorizer.ts), as a readable role; not bound to anyone. */
const nodeRules: PolicyRule[] = [
  rule(['create', 'get', 'list', 'watch', 'update', 'patch', 'delete'], [''], ['nodes']),
  rule(['patch', 'update'], [''], ['nodes/status']),
  rule(['get', 'list', 'watch', 'delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(READ, [''], ['services', 'endpoints']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(['get'], [''], ['secrets', 'configmaps']),
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
];

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

function withAggregation(roles: ClusterRole[]): ClusterRole[] {
  return roles.map((r) => (r.aggregationRule ? { ...r, rules: aggregatedRules(r, roles) } : r));
}

export const bootstrapClusterRoles: ClusterRole[] = withAggregation([
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('admin', [], { aggregateTo: 'admin' }),
  clusterRole('edit', [], { aggregateTo: 'edit', labels: aggregateTo('admin') }),
  clusterRole('view', [], { aggregateTo: 'view', labels: aggregateTo('edit') }),
  clusterRole('system:aggregate-to-admin', adminRules, { labels: aggregateTo('admin') }),
  clusterRole('system:aggregate-to-edit', editRules, { labels: aggregateTo('edit') }),
  clusterRole('system:aggregate-to-view', viewRules, { labels: aggregateTo('view') }),
  clusterRole('system:discovery', [urls(['get'], DISCOVERY_URLS)]),
  clusterRole('system:public-info-viewer', [urls(['get'], PUBLIC_INFO_URLS)]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:auth-delegator', [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])]),
  clusterRole('system:node', nodeRules),
]);

export const bootstrapClusterRoleBindings: ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
  binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    { kind: 'Group', name: 'system:authenticated' },
    { kind: 'Group', name: 'system:unauthenticated' },
  ]),
];

/** Creates the built-in ClusterRoles and ClusterRoleBindings that are missing (by name). Idempotent. */
export async function ensureBootstrapPolicy(store: ObjectStore, registry: Registry, types: ResourceTypes): Promise<void> {
  const opts = (): WriteOptions => ({ dryRun: false, fieldManager: 'zeroplane-bootstrap', fieldValidation: 'Ignore', warnings: [] });
  const sets: Array<{ resource: string; objects: KubeObject[] }> = [
    { resource: 'clusterroles', objects: bootstrapClusterRoles },
    { resource: 'clusterrolebindings', objects: bootstrapClusterRoleBindings },
  ];
  for (const { resource, objects } of sets) {
    const type = types.find(RBAC, 'v1', resource);
    if (!type) throw new Error(`the registry has no ${RBAC}/v1 ${resource}`);
    const existing = new Set((await store.list(`${RBAC}/${resource}`)).items.map((o) => o.metadata.name));
    for (const obj of objects) {
      if (existing.has(obj.metadata.name)) continue;
      try {
        await registry.create(type, undefined, registry.decode(type, structuredClone(obj), opts()), opts());
      } catch (err) {
        if (!(isStatusError(err) && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }
}

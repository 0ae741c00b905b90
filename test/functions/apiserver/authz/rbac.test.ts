import { describe, expect, it } from 'vitest';
import { attributesOf, nodeUser, serviceAccountUser, type RequestAttributes, type UserInfo } from '../../../../functions/apiserver/authz/attributes.ts';
import { forbiddenError } from '../../../../functions/apiserver/authz/authorizer.ts';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from '../../../../functions/apiserver/authz/bootstrap-policy.ts';
import { authorizeRbac, RbacIndex, ruleAllows, rulesFor, type RbacSnapshot } from '../../../../functions/apiserver/authz/rbac.ts';
import { parseRoute } from '../../../../functions/apiserver/router.ts';
import type { PolicyRule } from '../../../../shared/api/kinds/rbac.ts';

const res = (verb: string, resource: string, o: Partial<Omit<RequestAttributes & { kind: 'resource' }, 'kind'>> = {}): RequestAttributes => ({
  kind: 'resource',
  verb,
  apiGroup: '',
  resource,
  subresource: '',
  namespace: 'ns',
  name: '',
  ...o,
});
const path = (verb: string, p: string): RequestAttributes => ({ kind: 'nonResource', verb, path: p });

describe('ruleAllows', () => {
  it.each<[string, PolicyRule, RequestAttributes, boolean]>([
    ['an exact verb, group and resource', { verbs: ['list'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), true],
    ['another verb', { verbs: ['list'], apiGroups: [''], resources: ['pods'] }, res('watch', 'pods'), false],
    ['another group', { verbs: ['list'], apiGroups: ['apps'], resources: ['pods'] }, res('list', 'pods'), false],
    ['wildcards everywhere', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, res('delete', 'deployments', { apiGroup: 'apps' }), true],
    ['a subresource not named by the rule', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods', { subresource: 'log' }), false],
    ['a subresource named as pods/log', { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', 'pods', { subresource: 'log' }), true],
    ['a subresource named as */log', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, res('get', 'pods', { subresource: 'log' }), true],
    ['*/log for the main resource', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, res('get', 'pods'), false],
    ['pods/log for the main resource', { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', 'pods'), false],
    ['a listed resourceName', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('get', 'secrets', { name: 'a' }), true],
    ['an unlisted resourceName', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('get', 'secrets', { name: 'b' }), false],
    ['a list against resourceNames (no name)', { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('list', 'secrets'), false],
    ['a non-resource URL exactly', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, path('get', '/healthz'), true],
    ['a non-resource URL by prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, path('get', '/apis/apps/v1'), true],
    ['a non-resource URL outside the prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, path('get', '/api/v1'), false],
    ['a resource rule for a path', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, path('get', '/healthz'), false],
    ['a path rule for a resource', { verbs: ['*'], nonResourceURLs: ['*'] }, res('get', 'pods'), false],
  ])('%s → %s', (_name, rule, attrs, allowed) => {
    expect(ruleAllows(attrs, rule)).toBe(allowed);
  });
});

const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}) });
const RBAC = 'rbac.authorization.k8s.io';

function snapshot(): RbacSnapshot {
  return {
    clusterRoles: [
      ...bootstrapClusterRoles,
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: meta('secret-reader'), rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] },
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'extra-view', labels: { [`${RBAC}/aggregate-to-view`]: 'true' } },
        rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }],
      },
    ],
    clusterRoleBindings: [
      ...bootstrapClusterRoleBindings,
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: meta('auditors'), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', apiGroup: RBAC, name: 'auditors' }] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: meta('dangling'), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'gone' }, subjects: [{ kind: 'User', apiGroup: RBAC, name: 'dave' }] },
    ],
    roles: [{ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: meta('pod-lister', 'ns'), rules: [{ verbs: ['list', 'get'], apiGroups: [''], resources: ['pods'] }] }],
    roleBindings: [
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: meta('sa-pods', 'ns'), roleRef: { apiGroup: RBAC, kind: 'Role', name: 'pod-lister' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: meta('alice-secrets', 'ns'), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'secret-reader' }, subjects: [{ kind: 'User', apiGroup: RBAC, name: 'alice' }] },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: meta('other-sa', 'ns'), roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace: 'ci' }] },
    ],
  };
}

const user = (username: string, groups: string[] = ['system:authenticated']): UserInfo => ({ username, groups });
const sa = serviceAccountUser('ns', 'sa');

describe('authorizeRbac', () => {
  const index = new RbacIndex(snapshot());
  it.each<[string, UserInfo, RequestAttributes, boolean]>([
    ['a ServiceAccount lists pods in its Role binding namespace', sa, res('list', 'pods'), true],
    ['… gets one pod there', sa, res('get', 'pods', { name: 'p' }), true],
    ['… cannot watch them (verb not granted)', sa, res('watch', 'pods'), false],
    ['… cannot list pods in another namespace', sa, res('list', 'pods', { namespace: 'other' }), false],
    ['… cannot list pods across namespaces', sa, res('list', 'pods', { namespace: '' }), false],
    ['… cannot read pod logs', sa, res('get', 'pods', { name: 'p', subresource: 'log' }), false],
    ['… cannot list services', sa, res('list', 'services'), false],
    ['the same-named account of another namespace gets nothing', serviceAccountUser('other', 'sa'), res('list', 'pods'), false],
    ['a subject namespace overrides the binding namespace', serviceAccountUser('ci', 'builder'), res('create', 'deployments', { apiGroup: 'apps' }), true],
    ['a ClusterRole bound by a RoleBinding applies in that namespace', user('alice'), res('get', 'secrets', { name: 's' }), true],
    ['… and nowhere else', user('alice'), res('get', 'secrets', { name: 's', namespace: 'kube-system' }), false],
    ['a group binding to view reads deployments everywhere', user('carol', ['auditors']), res('list', 'deployments', { apiGroup: 'apps', namespace: 'x' }), true],
    ['view does not read secrets', user('carol', ['auditors']), res('get', 'secrets', { name: 's' }), false],
    ['view aggregates later ClusterRoles by label', user('carol', ['auditors']), res('get', 'widgets', { apiGroup: 'example.com', name: 'w' }), true],
    ['edit includes everything view has (aggregation chain)', serviceAccountUser('ci', 'builder'), res('get', 'pods', { name: 'p', subresource: 'log' }), true],
    ['every authenticated user may read discovery', user('bob'), path('get', '/apis/apps/v1'), true],
    ['… and create SelfSubjectAccessReviews', user('bob'), res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' }), true],
    ['… but not post to discovery', user('bob'), path('post', '/api'), false],
    ['system:masters holds cluster-admin through its binding', user('root', ['system:masters']), res('delete', 'nodes', { namespace: '', name: 'n1' }), true],
    ['a node user gets nothing from RBAC (system:node is unbound)', nodeUser('n1'), res('get', 'nodes', { namespace: '', name: 'n1' }), false],
  ])('%s', (_name, who, attrs, allowed) => {
    expect(authorizeRbac(index, who, attrs).allowed).toBe(allowed);
  });

  it('explains a denial caused by a binding to a missing role', () => {
    expect(authorizeRbac(index, user('dave'), res('get', 'pods', { name: 'p' }))).toEqual({ allowed: false, reason: 'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found]' });
  });

  it('lists the rules a user has in a namespace, as SelfSubjectRulesReview reports them', () => {
    const rules = rulesFor(index, sa, 'ns');
    expect(rules.resourceRules).toContainEqual({ verbs: ['list', 'get'], apiGroups: [''], resources: ['pods'] });
    expect(rules.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(rules.nonResourceRules.some((r) => r.nonResourceURLs.includes('/api'))).toBe(true);
    expect(rulesFor(index, sa, 'other').resourceRules.some((r) => r.resources?.includes('pods'))).toBe(false);
  });
});

describe('forbiddenError', () => {
  const route = (method: string, p: string, q: Record<string, string> = {}) => attributesOf(method, parseRoute(method, p, q), p);
  it.each<[string, RequestAttributes, string]>([
    ['a namespaced list', route('GET', '/api/v1/namespaces/ns/pods'), 'pods is forbidden: User "system:serviceaccount:ns:sa" cannot list resource "pods" in API group "" in the namespace "ns"'],
    ['a named get in a group', route('GET', '/apis/apps/v1/namespaces/ns/deployments/web'), 'deployments.apps "web" is forbidden: User "system:serviceaccount:ns:sa" cannot get resource "deployments" in API group "apps" in the namespace "ns"'],
    ['a subresource', route('GET', '/api/v1/namespaces/ns/pods/p/log'), 'pods "p" is forbidden: User "system:serviceaccount:ns:sa" cannot get resource "pods/log" in API group "" in the namespace "ns"'],
    ['a cluster-scoped list', route('GET', '/api/v1/nodes'), 'nodes is forbidden: User "system:serviceaccount:ns:sa" cannot list resource "nodes" in API group "" at the cluster scope'],
    ['a watch', route('GET', '/api/v1/namespaces/ns/pods', { watch: 'true' }), 'pods is forbidden: User "system:serviceaccount:ns:sa" cannot watch resource "pods" in API group "" in the namespace "ns"'],
    ['an exec upgrade (authorized as create)', route('GET', '/api/v1/namespaces/ns/pods/p/exec'), 'pods "p" is forbidden: User "system:serviceaccount:ns:sa" cannot create resource "pods/exec" in API group "" in the namespace "ns"'],
    ['a non-resource path', route('GET', '/metrics'), 'forbidden: User "system:serviceaccount:ns:sa" cannot get path "/metrics"'],
  ])('%s', (_name, attrs, message) => {
    const err = forbiddenError(sa, attrs, '');
    expect(err.code).toBe(403);
    expect(err.reason).toBe('Forbidden');
    expect(err.message).toBe(message);
  });
});

/**
 * The RBAC authorizer (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac), pure: a snapshot of Roles,
 * ClusterRoles and their bindings in, a decision out. Rules match as in Kubernetes' `rbac.go`/`rule.go`: `*`
 * wildcards for verbs, groups and resources, `pods/log` and `*\/log` subresources, resourceNames (never for a
 * request without a name), nonResourceURLs with a trailing `*` prefix match. ClusterRoles with an aggregationRule
 * get the rules of every ClusterRole their selectors match, as the aggregation controller would write them.
 */
import { labelSelectorFromObject, matchesLabels } from '../../../shared/labels/label-selector.ts';
import type { ClusterRole } from '../../../shared/api/kinds/clusterrole.ts';
import type { ClusterRoleBinding } from '../../../shared/api/kinds/clusterrolebinding.ts';
import type { PolicyRule } from '../../../shared/api/kinds/rbac.ts';
import type { Role } from '../../../shared/api/kinds/role.ts';
import type { RoleBinding } from '../../../shared/api/kinds/rolebinding.ts';
import type { RequestAttributes, ResourceAttributes, UserInfo } from './attributes.ts';

export interface RbacSnapshot {
  clusterRoles: ClusterRole[];
  clusterRoleBindings: ClusterRoleBinding[];
  roles: Role[];
  roleBindings: RoleBinding[];
}

export type Decision = { allowed: true; reason: string } | { allowed: false; reason: string };

type Subject = NonNullable<RoleBinding['subjects']>[number];

/** An indexed snapshot: evaluation is a few map lookups per binding. */
export class RbacIndex {
  private readonly clusterRoleRules = new Map<string, PolicyRule[]>();
  private readonly roleRules = new Map<string, PolicyRule[]>();
  private readonly roleBindingsByNamespace = new Map<string, RoleBinding[]>();
  readonly clusterRoleBindings: ClusterRoleBinding[];

  constructor(snapshot: RbacSnapshot) {
    for (const cr of snapshot.clusterRoles) this.clusterRoleRules.set(cr.metadata.name ?? '', aggregatedRules(cr, snapshot.clusterRoles));
    for (const r of snapshot.roles) this.roleRules.set(`${r.metadata.namespace}/${r.metadata.name}`, r.rules ?? []);
    for (const rb of snapshot.roleBindings) {
      const ns = rb.metadata.namespace ?? '';
      this.roleBindingsByNamespace.set(ns, [...(this.roleBindingsByNamespace.get(ns) ?? []), rb]);
    }
    this.clusterRoleBindings = snapshot.clusterRoleBindings;
  }

  /** The rules a roleRef names, or undefined when the role does not exist. */
  rulesOf(ref: { kind: string; name: string }, namespace: string): PolicyRule[] | undefined {
    if (ref.kind === 'ClusterRole') return this.clusterRoleRules.get(ref.name);
    if (ref.kind === 'Role') return this.roleRules.get(`${namespace}/${ref.name}`);
    return undefined;
  }

  roleBindingsIn(namespace: string): RoleBinding[] {
    return this.roleBindingsByNamespace.get(namespace) ?? [];
  }
}

/** A ClusterRole's own rules plus, when it aggregates, the rules of every ClusterRole its selectors match. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  const own = role.rules ?? [];
  if (!selectors?.length) return own;
  const rules = [...own];
  const seen = new Set(own.map((r) => JSON.stringify(r)));
  for (const sel of selectors) {
    const selector = labelSelectorFromObject(sel);
    for (const other of all) {
      if (other.metadata.name === role.metadata.name || !matchesLabels(selector, other.metadata.labels)) continue;
      for (const r of other.rules ?? []) {
        const key = JSON.stringify(r);
        if (!seen.has(key)) {
          seen.add(key);
          rules.push(r);
        }
      }
    }
  }
  return rules;
}

export function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns !== '' && user.username === `system:serviceaccount:${ns}:${subject.name}`;
    }
    default:
      return false;
  }
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return name !== '' && names.includes(name);
}

export function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.kind === 'nonResource') return verbMatches(rule, attrs.verb) && nonResourceUrlMatches(rule, attrs.path);
  return (
    verbMatches(rule, attrs.verb) &&
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, attrs.resource, attrs.subresource) &&
    resourceNameMatches(rule, attrs.name)
  );
}

/**
 * Visits the rules that apply to `user` in `namespace` ('' = cluster-wide only): ClusterRoleBindings first, then
 * the namespace's RoleBindings. Stops when `visit` returns true. Missing roles are reported, not fatal.
 */
export function visitRulesFor(index: RbacIndex, user: UserInfo, namespace: string, visit: (rule: PolicyRule, source: string) => boolean): { found: boolean; errors: string[] } {
  const errs: string[] = [];
  for (const b of index.clusterRoleBindings) {
    if (!(b.subjects ?? []).some((s) => appliesTo(user, s, ''))) continue;
    const rules = index.rulesOf(b.roleRef, '');
    if (!rules) {
      errs.push(`clusterrole.rbac.authorization.k8s.io "${b.roleRef.name}" not found`);
      continue;
    }
    const source = `RBAC: allowed by ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${b.roleRef.name}" to ${describeSubjects(user, b.subjects ?? [], '')}`;
    for (const r of rules) if (visit(r, source)) return { found: true, errors: errs };
  }
  if (namespace) {
    for (const b of index.roleBindingsIn(namespace)) {
      if (!(b.subjects ?? []).some((s) => appliesTo(user, s, namespace))) continue;
      const rules = index.rulesOf(b.roleRef, namespace);
      if (!rules) {
        errs.push(`${b.roleRef.kind === 'Role' ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io "${b.roleRef.name}" not found`);
        continue;
      }
      const source = `RBAC: allowed by RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubjects(user, b.subjects ?? [], namespace)}`;
      for (const r of rules) if (visit(r, source)) return { found: true, errors: errs };
    }
  }
  return { found: false, errors: errs };
}

function describeSubjects(user: UserInfo, subjects: Subject[], namespace: string): string {
  const s = subjects.find((x) => appliesTo(user, x, namespace));
  if (!s) return '';
  return s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace || namespace}"` : `${s.kind} "${s.name}"`;
}

/** RBAC's decision for one request. Denials carry a reason only when a binding named a missing role (as RBAC's). */
export function authorizeRbac(index: RbacIndex, user: UserInfo, attrs: RequestAttributes): Decision {
  const namespace = attrs.kind === 'resource' ? attrs.namespace : '';
  let reason = '';
  const { found, errors } = visitRulesFor(index, user, namespace, (rule, source) => {
    if (!ruleAllows(attrs, rule)) return false;
    reason = source;
    return true;
  });
  if (found) return { allowed: true, reason };
  return { allowed: false, reason: errors.length ? `RBAC: [${errors.join(', ')}]` : '' };
}

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/** What SelfSubjectRulesReview answers: every rule that applies to `user` in `namespace`. */
export function rulesFor(index: RbacIndex, user: UserInfo, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; errors: string[] } {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  const { errors } = visitRulesFor(index, user, namespace, (rule) => {
    if (rule.nonResourceURLs?.length) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
    else {
      const r: ResourceRule = { verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [] };
      if (rule.resourceNames?.length) r.resourceNames = rule.resourceNames;
      resourceRules.push(r);
    }
    return false;
  });
  return { resourceRules, nonResourceRules, errors };
}

/** Narrows attributes to a resource request (helpers for callers that only handle those). */
export function isResource(attrs: RequestAttributes): attrs is ResourceAttributes {
  return attrs.kind === 'resource';
}

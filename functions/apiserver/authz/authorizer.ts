/**
 * The authorizer chain apiserver runs on every authenticated request (`--authorization-mode=Node,RBAC` plus the
 * system:masters short cut): system:masters → allowed; a node user → the Node authorizer; then RBAC. The first
 * allow wins; a denial carries the reasons the authorizers gave, as apiserver's union authorizer joins them.
 */
import { PodSchema, type Pod } from '../../../shared/api/kinds/pod.ts';
import { errors, type StatusError } from '../../../shared/api/status.ts';
import type { ObjectStore } from '../../store/object-store.ts';
import { MASTERS_GROUP, nodeNameOf, type RequestAttributes, type UserInfo } from './attributes.ts';
import { authorizeNode, type NodeGraph, type NodeRequest } from './node-authorizer.ts';
import { authorizeRbac, rulesFor, type Decision, type NonResourceRule, type ResourceRule } from './rbac.ts';
import { RbacSource, type RbacSourceOptions } from './rbac-source.ts';

export interface Authorizer {
  authorize(user: UserInfo, attrs: RequestAttributes, request?: NodeRequest): Promise<Decision>;
  /** SelfSubjectRulesReview: the RBAC rules that apply to `user` in `namespace`. */
  rulesFor(user: UserInfo, namespace: string): Promise<{ resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean; evaluationError?: string }>;
}

/** The pods a node decision needs, straight from the store. */
export function storeNodeGraph(store: ObjectStore): NodeGraph {
  const parse = (obj: unknown): Pod | undefined => {
    const p = PodSchema.safeParse(obj);
    return p.success ? p.data : undefined;
  };
  return {
    async getPod(namespace, name) {
      return parse(await store.get({ resource: 'core/pods', namespace, name }));
    },
    async podsOnNode(node, namespace) {
      const out: Pod[] = [];
      let cont: string | undefined;
      do {
        const page = await store.list('core/pods', {
          namespace,
          limit: 500,
          continue: cont,
          filter: (o) => (o as { spec?: { nodeName?: string } }).spec?.nodeName === node,
        });
        for (const item of page.items) {
          const p = parse(item);
          if (p) out.push(p);
        }
        cont = page.continue;
      } while (cont);
      return out;
    },
  };
}

export interface AuthorizerDeps {
  store: ObjectStore;
  graph?: NodeGraph;
  rbac?: RbacSourceOptions;
}

export function createAuthorizer(deps: AuthorizerDeps): Authorizer {
  const rbac = new RbacSource(deps.store, deps.rbac);
  const graph = deps.graph ?? storeNodeGraph(deps.store);
  return {
    async authorize(user, attrs, request = {}) {
      if (user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: '' };
      const reasons: string[] = [];
      const node = nodeNameOf(user);
      if (node !== undefined && attrs.kind === 'resource') {
        const d = await authorizeNode(node, attrs, request, graph);
        if (d.allowed) return d;
        if (d.reason) reasons.push(d.reason);
      }
      let decision = authorizeRbac(await rbac.index(), user, attrs);
      if (!decision.allowed && rbac.worthRechecking()) decision = authorizeRbac(await rbac.reload(), user, attrs);
      if (decision.allowed) return decision;
      if (decision.reason) reasons.push(decision.reason);
      return { allowed: false, reason: reasons.join('\n') };
    },
    async rulesFor(user, namespace) {
      const r = rulesFor(await rbac.index(), user, namespace);
      return {
        resourceRules: r.resourceRules,
        nonResourceRules: r.nonResourceRules,
        // The Node authorizer's grants are not expressible as a rule list (apiserver says incomplete, too).
        incomplete: nodeNameOf(user) !== undefined || r.errors.length > 0,
        ...(r.errors.length ? { evaluationError: r.errors.join(', ') } : {}),
      };
    },
  };
}

/** The 403 apiserver answers for a denied request (responsewriters.ForbiddenStatusError). */
export function forbiddenError(user: UserInfo, attrs: RequestAttributes, reason: string): StatusError {
  if (attrs.kind === 'nonResource') return errors.forbiddenPath(user.username, attrs.verb, attrs.path, reason);
  return errors.forbidden(user.username, attrs.verb, { group: attrs.apiGroup, resource: attrs.resource }, attrs.namespace || undefined, reason, {
    name: attrs.name || undefined,
    subresource: attrs.subresource || undefined,
  });
}

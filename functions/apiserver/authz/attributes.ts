/**
 * Who is asking and what for: the user an authenticator found, and the authorization attributes of one request
 * (apiserver's user.Info and authorizer.Attributes). Pure.
 */
import type { Route } from '../router.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Extra claims (`authentication.kubernetes.io/credential-id`, a service account token's pod binding). */
  extra?: Record<string, string[]>;
}

export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export interface ResourceAttributes {
  kind: 'resource';
  verb: string;
  apiGroup: string;
  apiVersion?: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface NonResourceAttributes {
  kind: 'nonResource';
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** Subresources whose GET upgrades to a stream that runs code in a pod: apiserver (1.31+) authorizes `create`. */
const UPGRADE_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** The attributes apiserver's RequestInfoFactory derives from a request. */
export function attributesOf(method: string, route: Route, path: string): RequestAttributes {
  if (route.kind !== 'resource') return { kind: 'nonResource', verb: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(), path };
  const subresource = route.subresource ?? '';
  const verb = UPGRADE_SUBRESOURCES.has(subresource) && route.verb === 'get' ? 'create' : route.verb;
  return {
    kind: 'resource',
    verb,
    apiGroup: route.group,
    apiVersion: route.version,
    resource: route.resource,
    subresource,
    namespace: route.namespace ?? '',
    name: route.name ?? '',
  };
}

/** `system:serviceaccount:<ns>:<name>` → { namespace, name }. */
export function parseServiceAccountUser(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!namespace || !name || rest.length) return undefined;
  return { namespace, name };
}

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return {
    username: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
    ...(uid ? { uid } : {}),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP],
  };
}

export function nodeUser(nodeName: string): UserInfo {
  return { username: `${NODE_USER_PREFIX}${nodeName}`, groups: [NODES_GROUP, AUTHENTICATED_GROUP] };
}

/** The node a user acts for (`system:node:<name>` in group system:nodes), as the Node authorizer identifies it. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length) || undefined;
}

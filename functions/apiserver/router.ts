/**
 * Kubernetes REST paths → a typed route. Pure: it knows the path grammar of apiserver
 * (`/api/v1/...`, `/apis/G/V/...`, namespaced and cluster-scoped, subresources, the legacy `/watch/` prefix) but not
 * which resource types exist; core.ts resolves `resource` against the registry.
 */
import type { Verb } from '../../shared/api/resource-type.ts';

export interface ResourceRoute {
  kind: 'resource';
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  /** Set when the path names a namespace (`/namespaces/NS/<resource>`). */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface NonResourceRoute {
  kind: 'nonResource';
  path: string;
}

export type Route = ResourceRoute | NonResourceRoute | { kind: 'unsupported'; reason: 'method' | 'path' };

/** Namespace subresources: `/api/v1/namespaces/NS/status` must not be read as a list of resource `status` in NS. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function isTrue(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function verbFor(method: string, hasName: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return hasName ? 'update' : undefined;
    case 'PATCH':
      return hasName ? 'patch' : undefined;
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/**
 * Parses a request path. Returns `nonResource` for everything that is not a resource path (discovery, openapi,
 * version, health), `unsupported` for a resource path with a method it cannot take.
 */
export function parseRoute(method: string, path: string, query: Record<string, string>): Route {
  const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else {
    return { kind: 'nonResource', path };
  }

  let watch = isTrue(query.watch);
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { kind: 'unsupported', reason: 'path' };
  }

  let namespace: string | undefined;
  let resource: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]))) {
    namespace = rest[1];
    [resource, name, subresource] = rest.slice(2);
    if (rest.length > 5) return { kind: 'unsupported', reason: 'path' };
  } else {
    [resource, name, subresource] = rest;
    if (rest.length > 3) return { kind: 'unsupported', reason: 'path' };
  }

  // A watch on a single object is a list-watch with a name field selector (apiserver does the same).
  const verb = verbFor(method, name !== undefined, watch && method === 'GET');
  if (!verb) return { kind: 'unsupported', reason: 'method' };
  if (verb === 'create' && name !== undefined && subresource === undefined) return { kind: 'unsupported', reason: 'method' };
  const route: ResourceRoute = { kind: 'resource', verb, group, version, resource };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}

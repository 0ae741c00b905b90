/**
 * API discovery, computed from the kinds registry: the aggregated `APIGroupDiscoveryList` (apidiscovery.k8s.io/v2)
 * that kubectl asks for first, the legacy `APIVersions` / `APIGroupList` / `APIGroup` documents, and the legacy
 * per-group-version `APIResourceList` that drain, `auth can-i` and `helm --wait` still fetch (kubectl-wire.md §1.1).
 * Pure: a request in, a response (or undefined when the path is not a discovery path) out.
 */
import { apiVersionOf, type ResourceType } from '../../shared/api/resource-type.ts';
import { resourceTypes } from '../../shared/api/registry.ts';
import { jsonResponse, type ApiRequest, type ApiResponse } from './http.ts';

/** client-go picks its decoder from this header and ignores the body's kind, so it must be exactly this. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface GroupVersion {
  group: string;
  version: string;
}

export interface ServedGroup {
  /** '' for the core group. */
  name: string;
  /** Preferred version first. */
  versions: { version: string; types: ResourceType[] }[];
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 >
 * v1alpha1). The first version of a group is the preferred one, e.g. autoscaling v2 before v1.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [-1, 0, 0];
    const stability = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  return sb - sa || mb - ma || nb - na || a.localeCompare(b);
}

const servedGroupsCache = new WeakMap<readonly ResourceType[], ServedGroup[]>();

/** The served groups in registry order (core first), each with its versions in preference order. */
export function servedGroups(types: readonly ResourceType[] = resourceTypes): ServedGroup[] {
  const cached = servedGroupsCache.get(types);
  if (cached) return cached;
  const byGroup = new Map<string, Map<string, ResourceType[]>>();
  for (const t of types) {
    const versions = byGroup.get(t.group) ?? new Map<string, ResourceType[]>();
    byGroup.set(t.group, versions);
    versions.set(t.version, [...(versions.get(t.version) ?? []), t]);
  }
  const groups = [...byGroup].map(([name, versions]) => ({
    name,
    versions: [...versions]
      .sort(([a], [b]) => compareVersions(a, b))
      .map(([version, vtypes]) => ({ version, types: vtypes })),
  }));
  // The core group is served under /api, the rest under /apis; keep core first so callers can rely on it.
  groups.sort((a, b) => (a.name === '' ? -1 : b.name === '' ? 1 : 0));
  servedGroupsCache.set(types, groups);
  return groups;
}

/** Every served group-version, core first. */
export function servedGroupVersions(types: readonly ResourceType[] = resourceTypes): GroupVersion[] {
  return servedGroups(types).flatMap((g) => g.versions.map((v) => ({ group: g.name, version: v.version })));
}

/** True when the Accept header asks for aggregated discovery v2 (kubectl also offers v2beta1 and plain JSON). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((entry) => {
    const [mediaType, ...params] = entry.split(';').map((s) => s.trim());
    if (mediaType !== 'application/json') return false;
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    return p.get('g') === 'apidiscovery.k8s.io' && p.get('v') === 'v2' && p.get('as') === 'APIGroupDiscoveryList';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregated discovery (apidiscovery.k8s.io/v2)

function aggregatedResource(t: ResourceType): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length) entry.shortNames = t.shortNames;
  if (t.categories.length) entry.categories = t.categories;
  if (t.subresources.length) {
    entry.subresources = t.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return entry;
}

function aggregatedGroup(g: ServedGroup): Record<string, unknown> {
  return {
    metadata: g.name ? { name: g.name } : {},
    versions: g.versions.map((v) => ({ version: v.version, resources: v.types.map(aggregatedResource), freshness: 'Current' })),
  };
}

function aggregatedList(groups: ServedGroup[]): ApiResponse {
  const body = { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: groups.map(aggregatedGroup) };
  return jsonResponse(200, body, { 'content-type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
}

// ---------------------------------------------------------------------------------------------------------------
// Legacy discovery

function groupVersionEntry(group: string, version: string): { groupVersion: string; version: string } {
  return { groupVersion: apiVersionOf({ group, version }), version };
}

function apiGroup(g: ServedGroup): Record<string, unknown> {
  return {
    name: g.name,
    versions: g.versions.map((v) => groupVersionEntry(g.name, v.version)),
    preferredVersion: groupVersionEntry(g.name, g.versions[0].version),
  };
}

function legacyResources(t: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: t.resource,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
  };
  if (t.shortNames.length) main.shortNames = t.shortNames;
  if (t.categories.length) main.categories = t.categories;
  const subs = t.subresources.map((s) => {
    const entry: Record<string, unknown> = { name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced };
    // group/version appear only when the subresource's kind lives elsewhere (pods/eviction → policy/v1 Eviction).
    if (s.group !== t.group || s.version !== t.version) {
      entry.group = s.group;
      entry.version = s.version;
    }
    entry.kind = s.kind;
    entry.verbs = s.verbs;
    return entry;
  });
  return [main, ...subs];
}

function apiResourceList(group: string, version: string, types: ResourceType[]): ApiResponse {
  return jsonResponse(200, {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: types.flatMap(legacyResources),
  });
}

function apiVersions(req: ApiRequest): ApiResponse {
  const host = req.headers.host;
  return jsonResponse(200, {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: host ? [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] : [],
  });
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Answers GET `/api`, `/apis`, `/api/v1`, `/apis/G` and `/apis/G/V`; undefined for any other request (including
 * unknown groups and versions, which the router turns into 404).
 */
export function discoveryResponse(req: ApiRequest, types: readonly ResourceType[] = resourceTypes): ApiResponse | undefined {
  if (req.method !== 'GET') return undefined;
  const parts = req.path.split('/').filter(Boolean);
  const groups = servedGroups(types);
  const core = groups.find((g) => g.name === '');
  const named = groups.filter((g) => g.name !== '');

  if (parts[0] === 'api') {
    if (parts.length === 1) {
      if (wantsAggregatedDiscovery(req.headers.accept)) return aggregatedList(core ? [core] : []);
      return apiVersions(req);
    }
    if (parts.length === 2) {
      const v = core?.versions.find((x) => x.version === parts[1]);
      return v ? apiResourceList('', v.version, v.types) : undefined;
    }
    return undefined;
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) {
      if (wantsAggregatedDiscovery(req.headers.accept)) return aggregatedList(named);
      return jsonResponse(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: named.map(apiGroup) });
    }
    const g = named.find((x) => x.name === parts[1]);
    if (!g) return undefined;
    if (parts.length === 2) return jsonResponse(200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) });
    if (parts.length === 3) {
      const v = g.versions.find((x) => x.version === parts[2]);
      return v ? apiResourceList(g.name, v.version, v.types) : undefined;
    }
  }
  return undefined;
}

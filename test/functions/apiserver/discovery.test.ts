import { describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../../functions/apiserver/http.ts';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  compareVersions,
  discoveryResponse,
  servedGroups,
  wantsAggregatedDiscovery,
} from '../../../functions/apiserver/discovery.ts';
import { resourceTypes } from '../../../shared/api/registry.ts';
import type { ResourceType } from '../../../shared/api/resource-type.ts';

/** What kubectl 1.35 sends on first contact (kubectl-wire.md §1.1). */
const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

function get(path: string, accept = 'application/json, */*', types: readonly ResourceType[] = resourceTypes): ApiResponse | undefined {
  const req: ApiRequest = { method: 'GET', path, query: {}, headers: { accept, host: '127.0.0.1:6443' }, body: Buffer.alloc(0), signal: new AbortController().signal };
  return discoveryResponse(req, types);
}

function json(res: ApiResponse | undefined): any {
  expect(res).toBeDefined();
  return JSON.parse(res!.body as string);
}

const served = resourceTypes;
const find = (group: string, resource: string): ResourceType => {
  const t = served.find((x) => x.group === group && x.resource === resource);
  if (!t) throw new Error(`${resource}.${group} is not registered`);
  return t;
};

describe('aggregated discovery', () => {
  it('answers /api and /apis with the exact aggregated content type', () => {
    for (const path of ['/api', '/apis']) {
      const res = get(path, KUBECTL_ACCEPT);
      expect(res?.status).toBe(200);
      expect(res?.headers['content-type']).toBe(AGGREGATED_DISCOVERY_CONTENT_TYPE);
      expect(json(res)).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {} });
    }
  });

  it('serves the core group under /api as one nameless item', () => {
    const body = json(get('/api', KUBECTL_ACCEPT));
    expect(body.items).toHaveLength(1);
    expect(body.items[0].metadata).toEqual({});
    expect(body.items[0].versions[0]).toMatchObject({ version: 'v1', freshness: 'Current' });
    const pods = body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
    expect(pods).toMatchObject({
      resource: 'pods',
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(pods.subresources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' } }),
        expect.objectContaining({ subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' } }),
        expect.objectContaining({ subresource: 'log' }),
        expect.objectContaining({ subresource: 'exec' }),
      ]),
    );
  });

  it('lists deployments with the autoscaling/v1 Scale subresource under apps', () => {
    const body = json(get('/apis', KUBECTL_ACCEPT));
    const apps = body.items.find((i: any) => i.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deployments).toMatchObject({ scope: 'Namespaced', singularResource: 'deployment', shortNames: ['deploy'], categories: ['all'] });
    expect(deployments.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']));
    expect(deployments.subresources).toEqual(
      expect.arrayContaining([
        { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: expect.arrayContaining(['get', 'patch', 'update']) },
        expect.objectContaining({ subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' } }),
      ]),
    );
  });

  it('lists every registered kind with its names, verbs and subresources', () => {
    const items = [...json(get('/api', KUBECTL_ACCEPT)).items, ...json(get('/apis', KUBECTL_ACCEPT)).items];
    for (const t of served) {
      const group = items.find((i: any) => (i.metadata.name ?? '') === t.group);
      const version = group?.versions.find((v: any) => v.version === t.version);
      const entry = version?.resources.find((r: any) => r.resource === t.resource);
      expect(entry, `${t.resource}.${t.group}/${t.version}`).toBeDefined();
      expect(entry.responseKind).toEqual({ group: t.group, version: t.version, kind: t.kind });
      expect(entry.scope).toBe(t.namespaced ? 'Namespaced' : 'Cluster');
      expect(entry.singularResource).toBe(t.singular);
      expect(entry.verbs).toEqual(t.verbs);
      expect(entry.shortNames ?? []).toEqual(t.shortNames);
      expect(entry.categories ?? []).toEqual(t.categories);
      expect((entry.subresources ?? []).map((s: any) => s.subresource)).toEqual(t.subresources.map((s) => s.name));
    }
  });

  it('advertises metrics.k8s.io v1beta1 with read-only nodes and pods, as metrics-server registers them', () => {
    const metrics = json(get('/apis', KUBECTL_ACCEPT)).items.find((i: any) => i.metadata.name === 'metrics.k8s.io');
    expect(metrics.versions).toHaveLength(1);
    expect(metrics.versions[0].version).toBe('v1beta1');
    const resources = metrics.versions[0].resources.map((r: any) => [r.resource, r.responseKind.kind, r.scope, r.verbs]);
    expect(resources).toEqual([
      ['nodes', 'NodeMetrics', 'Cluster', ['get', 'list']],
      ['pods', 'PodMetrics', 'Namespaced', ['get', 'list']],
    ]);
  });

  it('puts the preferred (highest) version of a group first', () => {
    const base = find('apps', 'deployments');
    const types = [
      { ...base, group: 'example.io', version: 'v1beta1' },
      { ...base, group: 'example.io', version: 'v1' },
      { ...base, group: 'example.io', version: 'v2' },
    ];
    const body = json(get('/apis', KUBECTL_ACCEPT, types));
    expect(body.items[0].versions.map((v: any) => v.version)).toEqual(['v2', 'v1', 'v1beta1']);
    expect(json(get('/apis', 'application/json', types)).groups[0].preferredVersion).toEqual({ groupVersion: 'example.io/v2', version: 'v2' });
  });
});

describe('legacy discovery', () => {
  it('answers /api with APIVersions when aggregated discovery is not asked for', () => {
    const res = get('/api');
    expect(res?.headers['content-type']).toBe('application/json');
    expect(json(res)).toEqual({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
    });
  });

  it('answers /apis with an APIGroupList of every named group', () => {
    const body = json(get('/apis'));
    expect(body).toMatchObject({ kind: 'APIGroupList', apiVersion: 'v1' });
    const groups = new Set(served.filter((t) => t.group).map((t) => t.group));
    expect(new Set(body.groups.map((g: any) => g.name))).toEqual(groups);
    const apps = body.groups.find((g: any) => g.name === 'apps');
    expect(apps).toEqual({ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
    expect(json(get('/apis/apps'))).toMatchObject({ kind: 'APIGroup', name: 'apps', preferredVersion: { version: 'v1' } });
  });

  it('lists pods and pods/eviction (policy/v1 Eviction) in /api/v1, as drain needs', () => {
    const body = json(get('/api/v1'));
    expect(body).toMatchObject({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1' });
    expect(body.resources).toContainEqual(
      expect.objectContaining({ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] }),
    );
    expect(body.resources).toContainEqual(
      expect.objectContaining({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction' }),
    );
    const status = body.resources.find((r: any) => r.name === 'pods/status');
    expect(status).toMatchObject({ kind: 'Pod', verbs: expect.arrayContaining(['get', 'patch', 'update']) });
    expect(status).not.toHaveProperty('group');
    expect(body.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['pods/log', 'pods/exec', 'namespaces']));
  });

  it('lists deployments/scale with autoscaling/v1 Scale in /apis/apps/v1, as helm --wait needs', () => {
    const body = json(get('/apis/apps/v1'));
    expect(body.groupVersion).toBe('apps/v1');
    expect(body.resources).toContainEqual(
      expect.objectContaining({ name: 'deployments/scale', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale' }),
    );
  });

  it('has one entry per registered kind and subresource in its group-version document', () => {
    for (const t of served) {
      const body = json(get(t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`));
      const names = body.resources.map((r: any) => r.name);
      expect(names).toContain(t.resource);
      for (const s of t.subresources) expect(names).toContain(`${t.resource}/${s.name}`);
    }
  });

  it.each([
    ['GET', '/api/v2'],
    ['GET', '/apis/nosuch.example.com'],
    ['GET', '/apis/apps/v9'],
    ['GET', '/apis/apps/v1/deployments'],
    ['GET', '/api/v1/pods'],
    ['POST', '/api'],
    ['GET', '/version'],
  ])('leaves %s %s to the router', (method, path) => {
    const req: ApiRequest = { method, path, query: {}, headers: {}, body: Buffer.alloc(0), signal: new AbortController().signal };
    expect(discoveryResponse(req)).toBeUndefined();
  });
});

describe('servedGroups', () => {
  it('puts the core group first', () => {
    expect(servedGroups()[0].name).toBe('');
  });
});

describe('compareVersions', () => {
  it.each([
    [['v1', 'v2'], ['v2', 'v1']],
    [['v1beta1', 'v1'], ['v1', 'v1beta1']],
    [['v1alpha1', 'v1beta2', 'v1beta1'], ['v1beta2', 'v1beta1', 'v1alpha1']],
    [['v2beta1', 'v1'], ['v1', 'v2beta1']],
  ])('sorts %j as %j', (input, expected) => {
    expect([...input].sort(compareVersions)).toEqual(expected);
  });
});

describe('wantsAggregatedDiscovery', () => {
  it.each([
    [KUBECTL_ACCEPT, true],
    ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', true],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', false],
    ['application/json, */*', false],
    [undefined, false],
  ])('%s → %s', (accept, expected) => {
    expect(wantsAggregatedDiscovery(accept)).toBe(expected);
  });
});

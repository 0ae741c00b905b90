import { describe, expect, it } from 'vitest';
import { servedGroupVersions } from '../../../functions/apiserver/discovery.ts';
import type { ApiRequest, ApiResponse } from '../../../functions/apiserver/http.ts';
import { groupVersionPath, openapiResponse, openapiRoot, schemaName } from '../../../functions/apiserver/openapi.ts';
import { resourceTypes, servedGroupVersions as registeredGroupVersions } from '../../../shared/api/registry.ts';

const now = new Date('2026-11-23T12:00:00Z');

function get(url: string, headers: Record<string, string> = {}): ApiResponse {
  const u = new URL(url, 'https://x');
  const req: ApiRequest = {
    method: 'GET',
    path: u.pathname,
    query: Object.fromEntries(u.searchParams),
    headers: { accept: 'application/json', ...headers },
    body: Buffer.alloc(0),
    signal: new AbortController().signal,
  };
  const res = openapiResponse(req, resourceTypes, now);
  expect(res, url).toBeDefined();
  return res!;
}

const body = (res: ApiResponse): any => JSON.parse(res.body as string);
// Create-only kinds (metrics, the authorization/authentication reviews) have no patch operation to advertise it on.
const served = resourceTypes.filter((t) => t.group !== 'metrics.k8s.io' && t.verbs.includes('patch'));

/** kubectl's query_param_verifier_v3: the first patch operation for the GVK must carry the query parameter. */
function supportsFieldValidation(doc: any, gvk: { group: string; version: string; kind: string }): boolean | 'missing' {
  for (const path of Object.values<any>(doc.paths)) {
    const op = path.patch;
    if (!op) continue;
    const ext = op['x-kubernetes-group-version-kind'];
    if (!ext || ext.group !== gvk.group || ext.version !== gvk.version || ext.kind !== gvk.kind) continue;
    return op.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query');
  }
  return 'missing';
}

/** kubectl apply's gvkSupportsPatchOpenAPIV3: true would make it build strategic patches from our schemas. */
function advertisesStrategicMerge(doc: any, gvk: { group: string; version: string; kind: string }): boolean {
  for (const path of Object.values<any>(doc.paths)) {
    const ext = path.patch?.['x-kubernetes-group-version-kind'];
    if (ext && ext.group === gvk.group && ext.version === gvk.version && ext.kind === gvk.kind) {
      return 'application/strategic-merge-patch+json' in (path.patch.requestBody?.content ?? {});
    }
  }
  return false;
}

function resolve(doc: any, schema: any): any {
  if (schema?.$ref) return resolve(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  if (schema?.allOf?.length === 1 && !schema.properties) return resolve(doc, schema.allOf[0]);
  return schema;
}

function gvDocument(group: string, version: string): any {
  const url = openapiRoot().paths[groupVersionPath(group, version)].serverRelativeURL;
  return body(get(url));
}

describe('the /openapi/v3 root', () => {
  it('lists every served group-version with a hashed serverRelativeURL', () => {
    const root = body(get('/openapi/v3'));
    const expected = servedGroupVersions().map((gv) => groupVersionPath(gv.group, gv.version));
    expect(Object.keys(root.paths).sort()).toEqual([...expected].sort());
    for (const t of served) expect(root.paths).toHaveProperty([groupVersionPath(t.group, t.version)]);
    for (const gv of registeredGroupVersions) expect(root.paths).toHaveProperty([groupVersionPath(gv.group, gv.version)]);
    expect(root.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(root.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  });

  it('is fetched fresh on every run (no immutable caching)', () => {
    expect(get('/openapi/v3').headers['cache-control']).toBeUndefined();
  });
});

describe('group-version documents', () => {
  it('are served at their hashed URL as immutable for a year, with the hash as Etag', () => {
    const url = openapiRoot().paths['apis/apps/v1'].serverRelativeURL;
    const hash = new URL(url, 'https://x').searchParams.get('hash');
    const res = get(url);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'public, immutable', etag: `"${hash}"` });
    const expires = new Date(res.headers.expires).getTime();
    expect(expires - now.getTime()).toBe(365 * 24 * 3600 * 1000);
    expect(body(res)).toMatchObject({ openapi: '3.0.0' });
  });

  it('must be revalidated when fetched without the current hash, and answer 304 to a matching If-None-Match', () => {
    const url = openapiRoot().paths['api/v1'].serverRelativeURL;
    const fresh = get('/openapi/v3/api/v1');
    expect(fresh.status).toBe(200);
    expect(fresh.headers['cache-control']).toBe('no-cache, private');
    expect(get('/openapi/v3/api/v1?hash=STALE').headers['cache-control']).toBe('no-cache, private');
    const notModified = get(url, { 'if-none-match': fresh.headers.etag });
    expect(notModified.status).toBe(304);
  });

  it('advertise fieldValidation on the patch operation of every kind, as kubectl and helm check', () => {
    for (const t of served) {
      const doc = gvDocument(t.group, t.version);
      expect(supportsFieldValidation(doc, { group: t.group, version: t.version, kind: t.kind }), `${t.kind}`).toBe(true);
    }
  });

  it('never advertise strategic merge patch, so kubectl apply uses its compiled-in merge keys', () => {
    for (const t of served) {
      expect(advertisesStrategicMerge(gvDocument(t.group, t.version), { group: t.group, version: t.version, kind: t.kind })).toBe(false);
    }
  });

  it('describe the namespaced item path of deployments like Kubernetes', () => {
    const doc = gvDocument('apps', 'v1');
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    expect(Object.keys(item)).toEqual(expect.arrayContaining(['parameters', 'get', 'put', 'patch', 'delete']));
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(item.patch['x-kubernetes-action']).toBe('patch');
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    expect(doc.paths['/apis/apps/v1/deployments'].get['x-kubernetes-action']).toBe('list');
    expect(gvDocument('', 'v1').paths['/api/v1/namespaces/{name}'].get['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Namespace' });
  });

  it('carry a component schema per kind, named like Kubernetes, that explain can walk', () => {
    for (const t of served) {
      const doc = gvDocument(t.group, t.version);
      const schema = doc.components.schemas[schemaName(t)];
      expect(schema, schemaName(t)).toBeDefined();
      expect(schema['x-kubernetes-group-version-kind']).toEqual([{ group: t.group, version: t.version, kind: t.kind }]);
      expect(schema.type).toBe('object');
      expect(typeof schema.description).toBe('string');
      expect(resolve(doc, schema.properties.metadata).properties).toHaveProperty('name');
    }
    const apps = gvDocument('apps', 'v1');
    const deployment = apps.components.schemas['io.k8s.api.apps.v1.Deployment'];
    const spec = resolve(apps, deployment.properties.spec);
    expect(Object.keys(spec.properties)).toEqual(expect.arrayContaining(['replicas', 'selector', 'template']));
    const template = resolve(apps, spec.properties.template);
    const podSpec = resolve(apps, template.properties.spec);
    const containers = resolve(apps, podSpec.properties.containers);
    expect(containers.type).toBe('array');
    expect(resolve(apps, containers.items).properties).toHaveProperty('image');
  });

  it('only reference schemas they contain', () => {
    for (const { group, version } of servedGroupVersions()) {
      const doc = gvDocument(group, version);
      const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
      for (const r of refs) expect(doc.components.schemas, r).toHaveProperty([r.slice('"#/components/schemas/'.length, -1)]);
    }
  });
});

describe('other OpenAPI paths', () => {
  it('answers /openapi/v2 with the Swagger 2.0 document (openapi-v2.test.ts covers it)', () => {
    const res = get('/openapi/v2');
    expect(res.status).toBe(200);
    expect(body(res)).toMatchObject({ swagger: '2.0' });
  });

  it('answers an unknown group-version with 404', () => {
    expect(get('/openapi/v3/apis/nosuch.example.com/v1').status).toBe(404);
  });
});

describe('schemaName', () => {
  it.each([
    [{ group: '', version: 'v1', kind: 'Pod' }, 'io.k8s.api.core.v1.Pod'],
    [{ group: 'apps', version: 'v1', kind: 'Deployment' }, 'io.k8s.api.apps.v1.Deployment'],
    [{ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' }, 'io.k8s.api.rbac.v1.Role'],
    [{ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }, 'io.k8s.api.coordination.v1.Lease'],
    [{ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
    [{ group: 'example.com', version: 'v1alpha1', kind: 'Widget' }, 'com.example.v1alpha1.Widget'],
  ])('%j → %s', (gvk, expected) => {
    expect(schemaName(gvk)).toBe(expected);
  });
});

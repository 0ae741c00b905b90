import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configMap, createHarness, deployment, ns, pod, type Harness } from './api-harness.ts';

let api: Harness;
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/protobuf', name));
const PB = 'application/vnd.kubernetes.protobuf';

beforeAll(async () => {
  api = await createHarness();
  await api.call('POST', '/api/v1/namespaces', { body: ns('core') });
});

describe('authentication', () => {
  it('answers 401 Unauthorized without a token or with a wrong one', async () => {
    for (const token of [null, 'wrong']) {
      const res = await api.call('GET', '/api/v1/namespaces', { token });
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
    }
  });

  it.each(['/version', '/healthz', '/livez', '/readyz'])('lets %s through anonymously', async (path) => {
    const res = await api.call('GET', path, { token: null });
    expect(res.status).toBe(200);
  });

  it('keeps discovery behind the token', async () => {
    expect((await api.call('GET', '/api', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/api')).status).toBe(200);
  });
});

describe('routing', () => {
  it('dispatches non-resource paths to discovery and openapi', async () => {
    const res = await api.call('GET', '/apis/apps/v1');
    expect(res.json.kind).toBe('APIResourceList');
    expect((await api.call('GET', '/openapi/v3')).json.paths['apis/apps/v1']).toBeDefined();
  });

  it('answers 404 for unknown resources and paths', async () => {
    expect((await api.call('GET', '/api/v1/namespaces/core/widgets')).json).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    expect((await api.call('GET', '/nope')).status).toBe(404);
  });

  it('answers 405 for a method a resource path cannot take', async () => {
    expect((await api.call('PUT', '/api/v1/namespaces/core/configmaps', { body: configMap('x') })).status).toBe(405);
  });

  it('serves the legacy /watch/ prefix as a watch', async () => {
    await api.call('POST', '/api/v1/namespaces/core/configmaps', { body: configMap('legacy') });
    const w = await api.watch('/api/v1/watch/namespaces/core/configmaps/legacy?timeoutSeconds=1');
    await w.ended;
    expect(w.events.map((e) => `${e.type}/${e.object.metadata.name}`)).toEqual(['ADDED/legacy']);
  });
});

describe('content types', () => {
  it('creates a namespace from a kubectl protobuf body', async () => {
    const res = await api.call('POST', '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict', { raw: fixture('create-namespace.pb'), contentType: PB });
    expect(res.status).toBe(201);
    expect(res.json.metadata.name).toBe('x');
    expect(res.json.status.phase).toBe('Active');
  });

  it('creates a configmap from protobuf', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/core/configmaps', { raw: fixture('create-configmap.pb'), contentType: PB });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({ a: 'b' });
  });

  it('takes a protobuf DeleteOptions body', async () => {
    const res = await api.call('DELETE', '/api/v1/namespaces/core/configmaps/c', { raw: fixture('helm-delete-options.pb'), contentType: PB });
    expect(res.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/core/configmaps/c')).status).toBe(404);
  });

  it('creates from a YAML body', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  k: v\n';
    const res = await api.call('POST', '/api/v1/namespaces/core/configmaps', { raw: yaml, contentType: 'application/yaml' });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({ k: 'v' });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/core/configmaps', { raw: '{nope', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });

  it('answers a single-object Table with the full object for includeObject=Object', async () => {
    await api.call('POST', '/api/v1/namespaces/core/pods', { body: pod('tbl') });
    const res = await api.call('GET', '/api/v1/namespaces/core/pods/tbl?includeObject=Object', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(res.json.kind).toBe('Table');
    expect(res.json.rows).toHaveLength(1);
    expect(res.json.rows[0].object.kind).toBe('Pod');
  });
});

describe('subresources', () => {
  it('reads and scales a deployment through autoscaling/v1 Scale', async () => {
    await api.call('POST', '/apis/apps/v1/namespaces/core/deployments', { body: deployment('sc', 2) });
    const scale = await api.call('GET', '/apis/apps/v1/namespaces/core/deployments/sc/scale');
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=sc' } });
    const patched = await api.call('PATCH', '/apis/apps/v1/namespaces/core/deployments/sc/scale', {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 5 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.spec.replicas).toBe(5);
    expect((await api.call('GET', '/apis/apps/v1/namespaces/core/deployments/sc')).json.spec.replicas).toBe(5);
    const put = await api.call('PUT', '/apis/apps/v1/namespaces/core/deployments/sc/scale', {
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sc', namespace: 'core' }, spec: { replicas: 1 } },
    });
    expect(put.json.spec.replicas).toBe(1);
  });

  it('binds a pod once and 409s a second binding', async () => {
    await api.call('POST', '/api/v1/namespaces/core/pods', { body: pod('bind') });
    const binding = (node: string) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind' }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
    const first = await api.call('POST', '/api/v1/namespaces/core/pods/bind/binding', { body: binding('n1') });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    expect((await api.call('GET', '/api/v1/namespaces/core/pods/bind')).json.spec.nodeName).toBe('n1');
    const second = await api.call('POST', '/api/v1/namespaces/core/pods/bind/binding', { body: binding('n2') });
    expect(second.status).toBe(409);
    expect(second.json.message).toBe('Operation cannot be fulfilled on pods/binding "bind": pod bind is already assigned to node "n1"');
  });

  it('evicts a pod', async () => {
    await api.call('POST', '/api/v1/namespaces/core/pods', { body: pod('evict') });
    const res = await api.call('POST', '/api/v1/namespaces/core/pods/evict/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evict', namespace: 'core' } },
    });
    expect(res.status).toBe(201);
    expect((await api.call('GET', '/api/v1/namespaces/core/pods/evict')).status).toBe(404);
  });

  it('writes status through /status only', async () => {
    const created = (await api.call('POST', '/api/v1/namespaces/core/pods', { body: pod('st') })).json;
    const res = await api.call('PATCH', '/api/v1/namespaces/core/pods/st/status', {
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Running', podIP: '10.244.0.9' }, spec: { nodeName: 'sneaky' } },
    });
    expect(res.status).toBe(200);
    expect(res.json.status.phase).toBe('Running');
    expect(res.json.spec.nodeName).toBeUndefined();
    const main = await api.call('PUT', '/api/v1/namespaces/core/pods/st', { body: { ...res.json, status: { phase: 'Failed' } } });
    expect(main.json.status.phase).toBe('Running');
    expect(created.metadata.uid).toBe(main.json.metadata.uid);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { configMap, createHarness, deployment, ns, pod, type Harness } from './api-harness.ts';

let api: Harness;

beforeAll(async () => {
  api = await createHarness();
  await api.call('POST', '/api/v1/namespaces', { body: ns('crud') });
});

describe('create', () => {
  it('stores a pod with server-set metadata and answers 201', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/crud/pods', { body: pod('web') });
    expect(res.status).toBe(201);
    const m = res.json.metadata;
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.namespace).toBe('crud');
    expect(m.generation).toBe(1);
    expect(Number(m.resourceVersion)).toBeGreaterThan(0);
    expect(res.json.kind).toBe('Pod');
    // Defaulting ran: the container port got its protocol.
    expect(res.json.spec.containers[0].ports[0].protocol).toBe('TCP');
  });

  it('generates a name from generateName with five characters of the Kubernetes alphabet', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/crud/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } },
    });
    expect(res.status).toBe(201);
    expect(res.json.metadata.name).toMatch(/^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 409 AlreadyExists for a duplicate name', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('dup') });
    const res = await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('dup') });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', message: 'configmaps "dup" already exists', code: 409 });
  });

  it('refuses a body whose namespace differs from the path', async () => {
    const body = { ...(configMap('x') as object), metadata: { name: 'x', namespace: 'other' } };
    const res = await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body });
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });

  it('answers 404 for a namespace that does not exist', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/nosuch/configmaps', { body: configMap('x') });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ reason: 'NotFound', message: 'namespaces "nosuch" not found', details: { name: 'nosuch', kind: 'namespaces' } });
  });

  it('answers 422 with one cause per field error', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/crud/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
    });
    expect(res.status).toBe(422);
    expect(res.json.reason).toBe('Invalid');
    expect(res.json.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(res.json.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
  });

  it('requires a name or generateName', async () => {
    const res = await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } });
    expect(res.status).toBe(422);
    expect(res.json.message).toBe('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  });

  it('forbids new content in a terminating namespace with 403', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: ns('doomed') });
    await api.call('POST', '/api/v1/namespaces/doomed/configmaps', {
      body: { ...(configMap('held') as object), metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    const del = await api.call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect(del.json.status.phase).toBe('Terminating');
    const res = await api.call('POST', '/api/v1/namespaces/doomed/configmaps', { body: configMap('late') });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({
      reason: 'Forbidden',
      message: 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    });
  });
});

describe('get and list', () => {
  it('gets an object and 404s a missing one with the Kubernetes message', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('read', { a: '1' }) });
    const ok = await api.call('GET', '/api/v1/namespaces/crud/configmaps/read');
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({ a: '1' });
    const missing = await api.call('GET', '/apis/apps/v1/namespaces/crud/deployments/nosuch');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nosuch" not found',
      reason: 'NotFound',
      details: { name: 'nosuch', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('lists with a List kind and the snapshot resourceVersion', async () => {
    const res = await api.call('GET', '/api/v1/namespaces/crud/configmaps');
    expect(res.status).toBe(200);
    expect(res.json.kind).toBe('ConfigMapList');
    expect(res.json.apiVersion).toBe('v1');
    expect(Number(res.json.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(res.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('read');
  });

  it('filters by label selector, set-based included', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: ns('sel') });
    for (const [name, env] of [['a', 'prod'], ['b', 'dev'], ['c', 'test']]) {
      await api.call('POST', '/api/v1/namespaces/sel/configmaps', { body: configMap(name, {}, { env }) });
    }
    const names = async (q: string) =>
      (await api.call('GET', `/api/v1/namespaces/sel/configmaps?${q}`)).json.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort();
    expect(await names('labelSelector=env%3Dprod')).toEqual(['a']);
    expect(await names('labelSelector=env+in+(prod,dev)')).toEqual(['a', 'b']);
    expect(await names('labelSelector=env!%3Dprod')).toEqual(['b', 'c']);
    expect(await names('fieldSelector=metadata.name%3Dc')).toEqual(['c']);
  });

  it('refuses a field selector on an unsupported field', async () => {
    const res = await api.call('GET', '/api/v1/namespaces/crud/configmaps?fieldSelector=spec.foo%3Dx');
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('field label not supported: spec.foo');
  });

  it('pages with limit and continue', async () => {
    const first = await api.call('GET', '/api/v1/namespaces/sel/configmaps?limit=2');
    expect(first.json.items).toHaveLength(2);
    expect(first.json.metadata.continue).toBeTruthy();
    const second = await api.call('GET', `/api/v1/namespaces/sel/configmaps?limit=2&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    expect(second.json.items).toHaveLength(1);
    expect(second.json.metadata.continue).toBeUndefined();
  });

  it('lists a namespaced kind across namespaces and a cluster-scoped kind without one', async () => {
    const all = await api.call('GET', '/api/v1/configmaps');
    const namespaces = new Set(all.json.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace));
    expect(namespaces.has('crud') && namespaces.has('sel')).toBe(true);
    const nsList = await api.call('GET', '/api/v1/namespaces');
    expect(nsList.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'crud']));
    expect((await api.call('GET', '/api/v1/namespaces/crud/nodes')).status).toBe(404);
  });

  it('answers a Table when kubectl asks for one', async () => {
    const res = await api.call('GET', '/api/v1/namespaces/crud/pods?limit=500', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    expect(res.status).toBe(200);
    expect(res.json.kind).toBe('Table');
    expect(res.json.columnDefinitions[0].name).toBe('Name');
    expect(res.json.rows[0].cells[0]).toBe('web');
    expect(res.json.rows[0].object.kind).toBe('PartialObjectMetadata');
  });
});

describe('update', () => {
  it('updates with a current resourceVersion and 409s a stale one', async () => {
    const created = (await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('upd', { v: '1' }) })).json;
    const ok = await api.call('PUT', '/api/v1/namespaces/crud/configmaps/upd', { body: { ...created, data: { v: '2' } } });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({ v: '2' });
    expect(ok.json.metadata.uid).toBe(created.metadata.uid);
    const stale = await api.call('PUT', '/api/v1/namespaces/crud/configmaps/upd', { body: { ...created, data: { v: '3' } } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "upd": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('updates unconditionally without a resourceVersion', async () => {
    const res = await api.call('PUT', '/api/v1/namespaces/crud/configmaps/upd', { body: configMap('upd', { v: 'x' }) });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ v: 'x' });
  });

  it('answers 404 for a PUT of a missing object', async () => {
    const res = await api.call('PUT', '/api/v1/namespaces/crud/configmaps/ghost', { body: configMap('ghost') });
    expect(res.status).toBe(404);
  });

  it('bumps generation on spec changes only and keeps status on main-resource writes', async () => {
    const created = (await api.call('POST', '/apis/apps/v1/namespaces/crud/deployments', { body: deployment('gen') })).json;
    expect(created.metadata.generation).toBe(1);
    const status = await api.call('PUT', '/apis/apps/v1/namespaces/crud/deployments/gen/status', {
      body: { ...created, status: { observedGeneration: 1, replicas: 1 } },
    });
    expect(status.status).toBe(200);
    expect(status.json.status.replicas).toBe(1);
    expect(status.json.metadata.generation).toBe(1);
    const labelled = await api.call('PUT', '/apis/apps/v1/namespaces/crud/deployments/gen', {
      body: { ...status.json, metadata: { ...status.json.metadata, labels: { x: 'y' } }, status: {} },
    });
    expect(labelled.json.metadata.generation).toBe(1);
    expect(labelled.json.status.replicas).toBe(1);
    const scaled = await api.call('PUT', '/apis/apps/v1/namespaces/crud/deployments/gen', {
      body: { ...labelled.json, spec: { ...labelled.json.spec, replicas: 3 } },
    });
    expect(scaled.json.metadata.generation).toBe(2);
  });

  it('does not write when nothing changed', async () => {
    const current = (await api.call('GET', '/api/v1/namespaces/crud/configmaps/upd')).json;
    const again = await api.call('PUT', '/api/v1/namespaces/crud/configmaps/upd', { body: current });
    expect(again.json.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
  });
});

describe('delete', () => {
  it('deletes a pod and returns it, then 404s', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/pods', { body: pod('gone') });
    const res = await api.call('DELETE', '/api/v1/namespaces/crud/pods/gone', { body: { propagationPolicy: 'Background' } });
    expect(res.status).toBe(200);
    expect(res.json.kind).toBe('Pod');
    expect((await api.call('GET', '/api/v1/namespaces/crud/pods/gone')).status).toBe(404);
  });

  it('answers a Success Status for other kinds', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('del') });
    const res = await api.call('DELETE', '/api/v1/namespaces/crud/configmaps/del');
    expect(res.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'del', kind: 'configmaps' } });
  });

  it('holds an object with finalizers until the last one is removed', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', {
      body: { ...(configMap('fin') as object), metadata: { name: 'fin', finalizers: ['example.com/a'] } },
    });
    const del = await api.call('DELETE', '/api/v1/namespaces/crud/configmaps/fin');
    expect(del.status).toBe(200);
    expect(del.json.metadata.deletionTimestamp).toBeTruthy();
    expect(del.json.metadata.deletionGracePeriodSeconds).toBe(0);
    const held = await api.call('GET', '/api/v1/namespaces/crud/configmaps/fin');
    expect(held.status).toBe(200);
    const released = await api.call('PATCH', '/api/v1/namespaces/crud/configmaps/fin', {
      body: { metadata: { finalizers: null } },
      contentType: 'application/merge-patch+json',
    });
    expect(released.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/crud/configmaps/fin')).status).toBe(404);
  });

  it('records the foregroundDeletion finalizer for Foreground propagation', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('fg') });
    const res = await api.call('DELETE', '/api/v1/namespaces/crud/configmaps/fg', { body: { propagationPolicy: 'Foreground' } });
    expect(res.json.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(res.json.metadata.deletionTimestamp).toBeTruthy();
  });

  it('checks preconditions', async () => {
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('pre') });
    const res = await api.call('DELETE', '/api/v1/namespaces/crud/configmaps/pre', { body: { preconditions: { uid: 'nope' } } });
    expect(res.status).toBe(409);
    expect(res.json.message).toMatch(/^Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: nope, UID in object meta: /);
  });

  it('deletes a collection by label selector', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: ns('coll') });
    for (const n of ['a', 'b', 'c']) {
      await api.call('POST', '/api/v1/namespaces/coll/configmaps', { body: configMap(n, {}, { group: n === 'c' ? 'keep' : 'drop' }) });
    }
    const res = await api.call('DELETE', '/api/v1/namespaces/coll/configmaps?labelSelector=group%3Ddrop');
    expect(res.status).toBe(200);
    expect(res.json.items).toHaveLength(2);
    const left = await api.call('GET', '/api/v1/namespaces/coll/configmaps');
    expect(left.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['c']);
  });

  it('deletes a namespace with its content', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: ns('short') });
    await api.call('POST', '/api/v1/namespaces/short/configmaps', { body: configMap('inside') });
    const res = await api.call('DELETE', '/api/v1/namespaces/short');
    expect(res.status).toBe(200);
    expect(res.json.status.phase).toBe('Terminating');
    expect((await api.call('GET', '/api/v1/namespaces/short')).status).toBe(404);
    expect((await api.call('GET', '/api/v1/namespaces/short/configmaps/inside')).status).toBe(404);
  });
});

describe('dry run', () => {
  it('validates and answers without writing', async () => {
    const created = await api.call('POST', '/api/v1/namespaces/crud/configmaps?dryRun=All', { body: configMap('dry') });
    expect(created.status).toBe(201);
    expect((await api.call('GET', '/api/v1/namespaces/crud/configmaps/dry')).status).toBe(404);
    await api.call('POST', '/api/v1/namespaces/crud/configmaps', { body: configMap('dry', { v: '1' }) });
    const patched = await api.call('PATCH', '/api/v1/namespaces/crud/configmaps/dry?dryRun=All', {
      body: { data: { v: '2' } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.json.data).toEqual({ v: '2' });
    expect((await api.call('GET', '/api/v1/namespaces/crud/configmaps/dry')).json.data).toEqual({ v: '1' });
    const deleted = await api.call('DELETE', '/api/v1/namespaces/crud/configmaps/dry?dryRun=All');
    expect(deleted.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/crud/configmaps/dry')).status).toBe(200);
  });
});

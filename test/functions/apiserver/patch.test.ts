import { beforeAll, describe, expect, it } from 'vitest';
import { configMap, createHarness, deployment, ns, type Harness } from './api-harness.ts';

let api: Harness;
const DEPLOY = '/apis/apps/v1/namespaces/patch/deployments';

beforeAll(async () => {
  api = await createHarness();
  await api.call('POST', '/api/v1/namespaces', { body: ns('patch') });
});

describe('patch types', () => {
  it('keeps container ports when kubectl re-applies a strategic merge patch with $setElementOrder', async () => {
    await api.call('POST', DEPLOY, { body: deployment('smp') });
    const res = await api.call('PATCH', `${DEPLOY}/smp?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`, {
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:1.28', name: 'c' }] } } } },
    });
    expect(res.status).toBe(200);
    const container = res.json.spec.template.spec.containers[0];
    expect(container.image).toBe('nginx:1.28');
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([80, 443]);
    expect(res.json.metadata.generation).toBe(2);
  });

  it('deletes a field with null in a merge patch', async () => {
    await api.call('POST', '/api/v1/namespaces/patch/configmaps', { body: configMap('mp', {}, { tier: 'fe', keep: 'y' }) });
    const res = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/mp', {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { tier: null } } },
    });
    expect(res.json.metadata.labels).toEqual({ keep: 'y' });
  });

  it('applies a JSON patch and answers 422 when an operation cannot apply', async () => {
    const ok = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/mp', {
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/data', value: { k: 'v' } }],
    });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({ k: 'v' });
    const bad = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/mp', {
      contentType: 'application/json-patch+json',
      body: [{ op: 'test', path: '/data/k', value: 'other' }],
    });
    expect(bad.status).toBe(422);
  });

  it('answers 404 for a non-apply patch of a missing object', async () => {
    const res = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/ghost', { contentType: 'application/merge-patch+json', body: { data: {} } });
    expect(res.status).toBe(404);
  });

  it('answers 415 for an unknown patch content type', async () => {
    const res = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/mp', { contentType: 'text/plain', raw: '{}' });
    expect(res.status).toBe(415);
    expect(res.json.reason).toBe('UnsupportedMediaType');
  });

  it('runs validation after patching', async () => {
    const res = await api.call('PATCH', `${DEPLOY}/smp`, { contentType: 'application/merge-patch+json', body: { spec: { replicas: -1 } } });
    expect(res.status).toBe(422);
    expect(res.json.message).toContain('spec.replicas');
  });
});

describe('server-side apply', () => {
  const applied = (image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'ssa' },
    spec: {
      selector: { matchLabels: { app: 'ssa' } },
      template: { metadata: { labels: { app: 'ssa' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  });

  it('creates a missing object with 201 and records the manager', async () => {
    const res = await api.call('PATCH', `${DEPLOY}/ssa?fieldManager=kubectl&fieldValidation=Strict&force=false`, {
      contentType: 'application/apply-patch+yaml',
      body: applied('nginx:1'),
    });
    expect(res.status).toBe(201);
    expect(res.json.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply' });
    expect(res.json.metadata.uid).toBeTruthy();
  });

  it('updates with 200 for the same manager', async () => {
    const res = await api.call('PATCH', `${DEPLOY}/ssa?fieldManager=kubectl&force=false`, {
      contentType: 'application/apply-patch+yaml',
      raw: JSON.stringify(applied('nginx:2')),
    });
    expect(res.status).toBe(200);
    expect(res.json.spec.template.spec.containers[0].image).toBe('nginx:2');
  });

  it('answers 409 Conflict when another manager owns the field, and forces with force=true', async () => {
    const conflict = await api.call('PATCH', `${DEPLOY}/ssa?fieldManager=helm&force=false`, {
      contentType: 'application/apply-patch+yaml',
      body: applied('nginx:3'),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json.reason).toBe('Conflict');
    expect(conflict.json.details.causes[0]).toMatchObject({ reason: 'FieldManagerConflict' });
    const forced = await api.call('PATCH', `${DEPLOY}/ssa?fieldManager=helm&force=true`, {
      contentType: 'application/apply-patch+yaml',
      body: applied('nginx:3'),
    });
    expect(forced.status).toBe(200);
    expect(forced.json.spec.template.spec.containers[0].image).toBe('nginx:3');
  });

  it('accepts a YAML body', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  a: "1"\n';
    const res = await api.call('PATCH', '/api/v1/namespaces/patch/configmaps/yml?fieldManager=me', { contentType: 'application/apply-patch+yaml', raw: yaml });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({ a: '1' });
  });

  it('requires a fieldManager', async () => {
    const res = await api.call('PATCH', `${DEPLOY}/ssa`, { contentType: 'application/apply-patch+yaml', body: applied('x') });
    expect(res.status).toBe(400);
  });
});

describe('fieldValidation', () => {
  const withUnknown = () => {
    const d = deployment('fv') as { spec: Record<string, unknown> };
    d.spec.foo = 'bar';
    return d;
  };

  it('refuses unknown fields with Strict', async () => {
    const res = await api.call('POST', `${DEPLOY}?fieldValidation=Strict`, { body: withUnknown() });
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
  });

  it('warns and drops them by default', async () => {
    const res = await api.call('POST', DEPLOY, { body: withUnknown() });
    expect(res.status).toBe(201);
    expect(res.headers.warning).toBe('299 - "unknown field \\"spec.foo\\""');
    expect(res.json.spec.foo).toBeUndefined();
  });

  it('drops them silently with Ignore', async () => {
    const res = await api.call('PUT', `${DEPLOY}/fv?fieldValidation=Ignore`, { body: withUnknown() });
    expect(res.status).toBe(200);
    expect(res.headers.warning).toBeUndefined();
    expect(res.json.spec.foo).toBeUndefined();
  });

  it('accepts a full pod template without false alarms', async () => {
    const d = deployment('full') as { spec: { template: { spec: Record<string, unknown> } } };
    Object.assign(d.spec.template.spec, {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      affinity: { nodeAffinity: {} },
      tolerations: [{ key: 'k', operator: 'Exists' }],
      volumes: [{ name: 'v', emptyDir: {} }],
      securityContext: { runAsUser: 1000 },
      // Real API fields the kind schemas do not declare: never rejected, never dropped.
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
      hostAliases: [{ ip: '1.2.3.4', hostnames: ['a'] }],
    });
    (d.spec.template.spec.volumes as { configMap?: unknown }[]).push({ name: 'cm', configMap: { name: 'c', items: [{ key: 'k', path: 'p' }] } } as never);
    const res = await api.call('POST', `${DEPLOY}?fieldValidation=Strict`, { body: d });
    expect(res.status).toBe(201);
    expect(res.json.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    expect(res.json.spec.template.spec.volumes[1].configMap.items).toEqual([{ key: 'k', path: 'p' }]);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, ns, service, type Harness } from './api-harness.ts';

let api: Harness;
const SVC = '/api/v1/namespaces/alloc/services';

beforeAll(async () => {
  api = await createHarness({ serviceCidr: '10.96.0.0/24' });
  await api.call('POST', '/api/v1/namespaces', { body: ns('alloc') });
});

describe('ClusterIP allocation', () => {
  it('gives the kubernetes Service the first address', async () => {
    const res = await api.call('GET', '/api/v1/namespaces/default/services/kubernetes');
    expect(res.status).toBe(200);
    expect(res.json.spec.clusterIP).toBe('10.96.0.1');
  });

  it('allocates an address in the service CIDR', async () => {
    const res = await api.call('POST', SVC, { body: service('auto') });
    expect(res.status).toBe(201);
    expect(res.json.spec.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
    expect(res.json.spec.clusterIPs).toEqual([res.json.spec.clusterIP]);
    expect(res.json.spec.clusterIP).not.toBe('10.96.0.1');
  });

  it('honours an explicit address and refuses it when taken', async () => {
    const first = await api.call('POST', SVC, { body: service('fixed', { clusterIP: '10.96.0.5' }) });
    expect(first.status).toBe(201);
    expect(first.json.spec.clusterIP).toBe('10.96.0.5');
    const second = await api.call('POST', SVC, { body: service('fixed2', { clusterIP: '10.96.0.5' }) });
    expect(second.status).toBe(422);
    expect(second.json.message).toBe(
      'Service "fixed2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated',
    );
  });

  it('keeps the address of an existing Service when a duplicate create is refused', async () => {
    const first = await api.call('POST', SVC, { body: service('twice', { clusterIP: '10.96.0.6' }) });
    expect(first.status).toBe(201);
    const dup = await api.call('POST', SVC, { body: service('twice', { clusterIP: '10.96.0.6' }) });
    expect(dup.status).toBe(409);
    const thief = await api.call('POST', SVC, { body: service('thief', { clusterIP: '10.96.0.6' }) });
    expect(thief.status).toBe(422);
  });

  it('refuses an address outside the range', async () => {
    const res = await api.call('POST', SVC, { body: service('outside', { clusterIP: '10.0.0.7' }) });
    expect(res.status).toBe(422);
    expect(res.json.details.causes[0].field).toBe('spec.clusterIPs');
    expect(res.json.message).toContain('The range of valid IPs is 10.96.0.0/24');
  });

  it('leaves headless services without an address', async () => {
    const res = await api.call('POST', SVC, { body: service('headless', { clusterIP: 'None' }) });
    expect(res.status).toBe(201);
    expect(res.json.spec.clusterIP).toBe('None');
  });

  it('releases the address on delete', async () => {
    await api.call('DELETE', `${SVC}/fixed`);
    const again = await api.call('POST', SVC, { body: service('fixed3', { clusterIP: '10.96.0.5' }) });
    expect(again.status).toBe(201);
  });

  it('never gives two concurrent creates the same address', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `race-${i}`);
    const results = await Promise.all(names.map((n) => api.call('POST', SVC, { body: service(n) })));
    for (const r of results) expect(r.status).toBe(201);
    const ips = results.map((r) => r.json.spec.clusterIP);
    expect(new Set(ips).size).toBe(ips.length);
  });

  it('keeps the address across updates that omit it', async () => {
    const created = (await api.call('POST', SVC, { body: service('keep') })).json;
    const updated = await api.call('PUT', `${SVC}/keep`, { body: { ...(service('keep') as object), spec: { ports: [{ port: 81 }] } } });
    expect(updated.status).toBe(200);
    expect(updated.json.spec.clusterIP).toBe(created.spec.clusterIP);
  });
});

describe('NodePort allocation', () => {
  it('allocates a node port per port for NodePort services', async () => {
    const res = await api.call('POST', SVC, { body: service('np', { type: 'NodePort', ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] }) });
    expect(res.status).toBe(201);
    for (const p of res.json.spec.ports) {
      expect(p.nodePort).toBeGreaterThanOrEqual(30000);
      expect(p.nodePort).toBeLessThanOrEqual(32767);
    }
  });

  it('refuses an explicit node port that is taken', async () => {
    const first = await api.call('POST', SVC, { body: service('np1', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }) });
    expect(first.status).toBe(201);
    const second = await api.call('POST', SVC, { body: service('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }) });
    expect(second.status).toBe(422);
    expect(second.json.message).toBe('Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  });

  it('releases node ports when the type changes back to ClusterIP', async () => {
    const current = (await api.call('GET', `${SVC}/np1`)).json;
    const res = await api.call('PUT', `${SVC}/np1`, {
      body: { ...current, spec: { ...current.spec, type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } },
    });
    expect(res.status).toBe(200);
    expect(res.json.spec.ports[0].nodePort).toBeUndefined();
    const reuse = await api.call('POST', SVC, { body: service('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }) });
    expect(reuse.status).toBe(201);
  });
});

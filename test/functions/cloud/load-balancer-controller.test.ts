/**
 * The LoadBalancer Service controller's runner over the real registry (in-memory store) with an in-memory provider:
 * finalizer before anything is created, status from the provider, targets following the Ready nodes, cleanup on
 * delete and on a type change, a failed delete keeping the Service until it succeeds, and the `*` sweep.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRegistryApi, type ClusterApi } from '../../../functions/controllers/api-port.ts';
import type { RunnerEnv } from '../../../functions/controllers/runner.ts';
import { loadBalancerBroadcast, loadBalancerController } from '../../../functions/cloud/load-balancer-controller.ts';
import type { LoadBalancerIngress, LoadBalancerProvider, LoadBalancerSpec, ServiceIdentity } from '../../../functions/cloud/load-balancer-provider.ts';
import type { ControllerKey } from '../../../functions/pipeline/queue-message.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Service } from '../../../shared/api/kinds/service.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { cloudNode } from './builders.ts';

/** An in-memory provider: what exists, per Service uid. */
class FakeLoadBalancers implements LoadBalancerProvider {
  readonly balancers = new Map<string, LoadBalancerSpec>();
  failDeletes = 0;
  async ensure(spec: LoadBalancerSpec): Promise<LoadBalancerIngress[]> {
    this.balancers.set(spec.service.uid, spec);
    return [{ hostname: `${spec.service.name}-${spec.scheme}.elb.example` }];
  }
  async delete(service: ServiceIdentity): Promise<void> {
    if (this.failDeletes > 0) {
      this.failDeletes--;
      throw new Error('target group still in use');
    }
    this.balancers.delete(service.uid);
  }
  async list(): Promise<ServiceIdentity[]> {
    return [...this.balancers.values()].map((s) => s.service);
  }
}

const FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
let api: ClusterApi;
let provider: FakeLoadBalancers;
let sent: ControllerKey[];
let env: RunnerEnv;

const reconcile = (key = 'default/web') => loadBalancerController(provider).load(key, env, { receiveCount: 1 });
const getService = (name = 'web') => api.get<Service>('core/services', 'default', name);
const createService = (name = 'web', annotations?: Record<string, string>) =>
  api.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });

beforeEach(async () => {
  const store = new MemoryStore();
  api = createRegistryApi({ store, fieldManager: 'cloud-test' });
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  for (const n of [cloudNode({ name: 'a', instanceId: 'i-0000000000000000a' }), cloudNode({ name: 'b', instanceId: 'i-0000000000000000b' })]) await api.create<Node>(n);
  provider = new FakeLoadBalancers();
  sent = [];
  env = {
    api,
    now: () => new Date(),
    send: async (keys) => void sent.push(...keys),
    requeue: () => {},
    logger: pino({ level: 'silent' }),
  };
});

describe('loadBalancerController', () => {
  it('adds the cleanup finalizer, ensures the load balancer at the NodePort of the Ready nodes and writes the hostname', async () => {
    const created = await createService('web', { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
    await reconcile();
    const svc = await getService();
    expect(svc?.metadata.finalizers).toEqual([FINALIZER]);
    expect(svc?.status?.loadBalancer?.ingress).toEqual([{ hostname: 'web-internal.elb.example' }]);
    const spec = provider.balancers.get(created.metadata.uid!);
    expect(spec?.scheme).toBe('internal');
    expect(spec?.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, nodePort: created.spec?.ports?.[0].nodePort, targetPort: 8080 }]);
    expect(spec?.targets.map((t) => t.instanceId)).toEqual(['i-0000000000000000a', 'i-0000000000000000b']);
  });

  it('writes nothing more when nothing changed, and follows a node that stops being Ready', async () => {
    const created = await createService();
    await reconcile();
    const rv = (await getService())?.metadata.resourceVersion;
    await reconcile();
    expect((await getService())?.metadata.resourceVersion).toBe(rv);

    const b = (await api.get<Node>('core/nodes', '', 'b'))!;
    await api.updateStatus({ ...b, status: { ...b.status, conditions: [{ type: 'Ready', status: 'Unknown' }] } });
    await reconcile();
    expect(provider.balancers.get(created.metadata.uid!)?.targets.map((t) => t.nodeName)).toEqual(['a']);
  });

  it('keeps a deleted Service while its load balancer cannot be deleted, and lets it go once it is', async () => {
    const created = await createService();
    await reconcile();
    await api.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web' });
    expect((await getService())?.metadata.deletionTimestamp).toBeTruthy();

    provider.failDeletes = 1;
    await expect(reconcile()).rejects.toThrow('target group still in use');
    expect((await getService())?.metadata.finalizers).toEqual([FINALIZER]);
    expect(provider.balancers.has(created.metadata.uid!)).toBe(true);

    await reconcile();
    expect(provider.balancers.has(created.metadata.uid!)).toBe(false);
    expect(await getService()).toBeUndefined();
  });

  it('cleans up a Service changed away from LoadBalancer: load balancer, status and finalizer', async () => {
    const created = await createService();
    await reconcile();
    const svc = (await getService())!;
    await api.update<Service>({ ...svc, spec: { ...svc.spec, type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } });
    await reconcile();
    const after = await getService();
    expect(provider.balancers.has(created.metadata.uid!)).toBe(false);
    expect(after?.metadata.finalizers).toBeUndefined();
    expect(after?.status?.loadBalancer?.ingress ?? []).toEqual([]);
  });

  it('on `*`, wakes every LoadBalancer Service and deletes load balancers whose Service is gone', async () => {
    await createService('web');
    await api.create<Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'plain', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    const orphan = { namespace: 'default', name: 'old', uid: 'uid-long-gone' };
    provider.balancers.set(orphan.uid, { service: orphan, scheme: 'internet-facing', ports: [], targets: [] });

    await loadBalancerBroadcast(provider)(env, { receiveCount: 1 });
    expect(sent).toEqual([{ controller: 'loadbalancer', key: 'default/web' }]);
    expect(provider.balancers.has(orphan.uid)).toBe(false);
  });
});

/**
 * The scheduler over DynamoDB Local: binding through pods/binding, the unschedulable condition and Event, and no
 * overcommit when several schedulers (each with its own snapshot) place pods onto the same node at once.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../../../functions/controllers/api-port.ts';
import { Binder, NODE_ALLOCATIONS } from '../../../functions/scheduler/binder.ts';
import { Scheduler } from '../../../functions/scheduler/handler.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { simulatedNode } from '../../../local/simulated-nodes.ts';
import { createTestStore } from '../../support/dynamo.ts';

const silent = pino({ level: 'silent' });
let api: ClusterApi;

beforeEach(async () => {
  const store = await createTestStore();
  await ensureBootstrapObjects(store);
  api = createRegistryApi({ store, fieldManager: 'scheduler-test' });
});

function pod(name: string, cpu: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }] } } as KubeObject;
}

const pods = async () => (await api.list<Pod>('core/pods', 'default')).items;

describe('Scheduler', () => {
  it('binds pending pods to nodes and marks the ones that fit nowhere Unschedulable with an Event', async () => {
    await api.create(simulatedNode('n1', 1));
    await api.create(pod('small', '1'));
    await api.create(pod('huge', '64'));
    const result = await new Scheduler(api, silent).cycle(new Set(), true);
    expect(result).toMatchObject({ bound: 1, unschedulable: 1 });
    const byName = new Map((await pods()).map((p) => [p.metadata.name, p]));
    expect(byName.get('small')?.spec.nodeName).toBe('n1');
    expect(byName.get('huge')?.status?.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }),
    ]);
    const events = (await api.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>('core/events', 'default')).items;
    expect(events.map((e) => `${e.reason} ${e.involvedObject?.name}`).sort()).toEqual(['FailedScheduling huge', 'Scheduled small']);
  });

  it('never overcommits a node when several schedulers bind at once', async () => {
    // One node with 4 CPU; 12 pods of 1 CPU each; 4 schedulers, each asked for 3 different pods, whose snapshots
    // all show the node empty: each alone would bind its 3.
    await api.create(simulatedNode('n1', 1));
    for (let i = 0; i < 12; i++) await api.create(pod(`p${i}`, '1'));
    const schedulers = Array.from({ length: 4 }, () => new Scheduler(api, silent));
    const keys = (i: number) => new Set([0, 1, 2].map((j) => `default/p${i * 3 + j}`));
    const results = await Promise.all(schedulers.map((s, i) => s.cycle(keys(i), false)));
    const bound = (await pods()).filter((p) => p.spec.nodeName === 'n1');
    expect(bound).toHaveLength(4);
    expect(results.reduce((n, r) => n + r.bound, 0)).toBe(4);
  });

  it('refuses a reservation beyond the node ledger even when the caller’s snapshot says it fits', async () => {
    const node = (await api.create(simulatedNode('n1', 1))) as Node;
    const created = await Promise.all(Array.from({ length: 5 }, (_, i) => api.create(pod(`q${i}`, '1')))) as Pod[];
    const binder = new Binder({ store: api.store });
    // Two callers, each believing the node is empty, ask for 3 and 2 CPUs of its 4.
    const [a, b] = await Promise.all([binder.reserve(node, created.slice(0, 3)), binder.reserve(node, created.slice(3))]);
    expect(a.length + b.length).toBe(4);
    const ledger = (await api.store.get({ resource: NODE_ALLOCATIONS, namespace: '', name: 'n1' })) as KubeObject & { pods: Record<string, unknown> };
    expect(Object.keys(ledger.pods)).toHaveLength(4);
  });

  it('frees a deleted pod’s reservation when the node looks full', async () => {
    const node = (await api.create(simulatedNode('n1', 1))) as Node;
    const first = await Promise.all(Array.from({ length: 4 }, (_, i) => api.create(pod(`r${i}`, '1')))) as Pod[];
    const binder = new Binder({ store: api.store });
    expect(await binder.reserve(node, first)).toHaveLength(4);
    for (const p of first) await api.bind('default', p.metadata.name ?? '', 'n1');
    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'r0' });
    const next = (await api.create(pod('r4', '1'))) as Pod;
    expect((await binder.reserve(node, [next])).map((p) => p.metadata.name)).toEqual(['r4']);
  });
});

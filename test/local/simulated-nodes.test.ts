/**
 * Simulated nodes over DynamoDB Local: registration, leases, and the lifecycle of the pods bound to them.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapObjects } from '../../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../../functions/controllers/api-port.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { EXIT_CODE_ANNOTATION, startSimulatedNodes, type SimulatedNodes } from '../../local/simulated-nodes.ts';
import { createTestStore } from '../support/dynamo.ts';

let api: ClusterApi;
let nodes: SimulatedNodes;

beforeAll(async () => {
  const store = await createTestStore();
  await ensureBootstrapObjects(store);
  api = createRegistryApi({ store, fieldManager: 'simulated-nodes-test' });
  nodes = await startSimulatedNodes({ api, store, count: 4, runDelayMs: 20, runForMs: 50, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await nodes?.stop();
});

function boundPod(name: string, node: string, restartPolicy: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { nodeName: node, restartPolicy, containers: [{ name: 'c', image: 'busybox' }] },
  } as KubeObject;
}

const pod = (name: string) => api.get<Pod>('core/pods', 'default', name);

describe('startSimulatedNodes', () => {
  it('registers Ready nodes with 4 CPU, 16Gi and 110 pods over three zones, each with a lease', async () => {
    const listed = (await api.list<Node>('core/nodes')).items;
    expect(listed.map((n) => n.metadata.name)).toEqual(['sim-node-1', 'sim-node-2', 'sim-node-3', 'sim-node-4']);
    expect(listed.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone'])).toEqual(['zone-a', 'zone-b', 'zone-c', 'zone-a']);
    expect(listed[0].status?.allocatable).toMatchObject({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(listed.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    const lease = await api.get<KubeObject & { spec?: { holderIdentity?: string } }>('coordination.k8s.io/leases', 'kube-node-lease', 'sim-node-2');
    expect(lease?.spec?.holderIdentity).toBe('sim-node-2');
  });

  it('runs a bound pod with a unique IP from its node’s range and makes it Ready', async () => {
    await api.create(boundPod('server-a', 'sim-node-2', 'Always'));
    await api.create(boundPod('server-b', 'sim-node-2', 'Always'));
    await expect.poll(async () => (await pod('server-b'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
    await expect.poll(async () => (await pod('server-a'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
    const [a, b] = [(await pod('server-a'))!, (await pod('server-b'))!];
    expect(a.status?.podIP).toMatch(/^10\.244\.2\.\d+$/);
    expect(b.status?.podIP).toMatch(/^10\.244\.2\.\d+$/);
    expect(a.status?.podIP).not.toBe(b.status?.podIP);
    expect(a.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it.each([
    ['exit 0 → Succeeded', 'done-ok', undefined, 'Succeeded', 0],
    ['annotated exit code → Failed', 'done-bad', { [EXIT_CODE_ANNOTATION]: '3' }, 'Failed', 3],
  ])('finishes a Never pod after its run (%s)', async (_, name, annotations, phase, exitCode) => {
    await api.create(boundPod(name, 'sim-node-1', 'Never', annotations));
    await expect.poll(async () => (await pod(name))?.status?.phase, { timeout: 10_000 }).toBe(phase);
    expect((await pod(name))?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(exitCode);
  });

  it('leaves pods bound to other nodes alone', async () => {
    await api.create(boundPod('elsewhere', 'real-node', 'Always'));
    await api.create(boundPod('marker', 'sim-node-3', 'Always'));
    await expect.poll(async () => (await pod('marker'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
    expect((await pod('elsewhere'))?.status?.phase).not.toBe('Running');
  });
});

describe('simulated nodes that come and go', () => {
  let fapi: ClusterApi;
  let fleet: SimulatedNodes;
  const renewTime = async (name: string) =>
    (await fapi.get<KubeObject & { spec?: { renewTime?: string } }>('coordination.k8s.io/leases', 'kube-node-lease', name))?.spec?.renewTime;
  const fpod = (name: string) => fapi.get<Pod>('core/pods', 'default', name);
  const renewalsOf = async (name: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const before = await renewTime(name);
      await expect.poll(async () => (await renewTime(name)) !== before, { timeout: 10_000 }).toBe(true);
    }
  };
  const ready = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

  beforeAll(async () => {
    const store = await createTestStore();
    await ensureBootstrapObjects(store);
    fapi = createRegistryApi({ store, fieldManager: 'simulated-nodes-test' });
    fleet = await startSimulatedNodes({ api: fapi, store, count: 1, prefix: 'f-', heartbeatMs: 100, runDelayMs: 20, followNodes: true, logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('adds a node at runtime with the next index', async () => {
    expect(await fleet.addNode()).toBe('f-2');
    expect(fleet.names).toEqual(['f-1', 'f-2']);
    const node = await fapi.get<Node>('core/nodes', '', 'f-2');
    expect(node?.spec?.podCIDR).toBe('10.244.2.0/24');
    expect(ready(node)).toBe('True');
  });

  it('adopts a Node created with the simulated annotation, filling in its status', async () => {
    await fapi.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'f-extra', labels: { team: 'a' }, annotations: { 'zeroplane.dev/simulated': 'true' } } } as KubeObject);
    await expect.poll(async () => ready(await fapi.get<Node>('core/nodes', '', 'f-extra')), { timeout: 10_000 }).toBe('True');
    const node = await fapi.get<Node>('core/nodes', '', 'f-extra');
    expect(node?.metadata.labels).toMatchObject({ team: 'a', 'kubernetes.io/hostname': 'f-extra' });
    expect(node?.status?.allocatable).toMatchObject({ cpu: '4', pods: '110' });
    await fapi.create(boundPod('on-extra', 'f-extra', 'Always'));
    await expect.poll(async () => (await fpod('on-extra'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
  });

  it('stops renewing the lease and moving pods of a stopped node, and resumes when started', async () => {
    fleet.stopNode('f-1');
    // A renewal already in flight may still land; after two renewals of f-2, f-1's lease must stand still.
    await renewalsOf('f-2', 2);
    const frozen = await renewTime('f-1');
    await fapi.create(boundPod('frozen', 'f-1', 'Always'));
    await renewalsOf('f-2', 2);
    expect(await renewTime('f-1')).toBe(frozen);
    expect((await fpod('frozen'))?.status?.phase).toBe('Pending');

    await fleet.startNode('f-1');
    await expect.poll(async () => (await fpod('frozen'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
    expect(await renewTime('f-1')).not.toBe(frozen);
  });

  it('obeys the stopped annotation on its Node', async () => {
    const node = (await fapi.get<Node>('core/nodes', '', 'f-2'))!;
    await fapi.update({ ...node, metadata: { ...node.metadata, annotations: { ...node.metadata.annotations, 'zeroplane.dev/simulated-stopped': 'true' } } } as KubeObject);
    await fapi.create(boundPod('held', 'f-2', 'Always'));
    await renewalsOf('f-1', 2);
    expect((await fpod('held'))?.status?.phase).toBe('Pending');

    const stopped = (await fapi.get<Node>('core/nodes', '', 'f-2'))!;
    const { ['zeroplane.dev/simulated-stopped']: _gone, ...rest } = stopped.metadata.annotations ?? {};
    await fapi.update({ ...stopped, metadata: { ...stopped.metadata, annotations: rest } } as KubeObject);
    await expect.poll(async () => (await fpod('held'))?.status?.phase, { timeout: 10_000 }).toBe('Running');
  });
});

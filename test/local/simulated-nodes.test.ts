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

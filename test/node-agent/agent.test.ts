/**
 * The node agent against a real local Zeroplane (HTTPS API, controllers on) with the in-memory runtime: node
 * registration and heartbeats, pods run to Running/Failed with statuses as kubectl reads them, deletion, and
 * restart safety. The real-Docker path is in agent-docker.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNodeAgent, type AgentOptions, type NodeAgent } from '../../node-agent/agent.ts';
import { createHttpApi, type NodeApi } from '../../node-agent/api-client.ts';
import { inCidr } from '../../node-agent/pod/ip-allocator.ts';
import { podStatusCells, type Pod } from '../../shared/api/kinds/pod.ts';
import type { Lease } from '../../shared/api/kinds/lease.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import { FakeRuntime } from './support/fake-runtime.ts';

let cluster: LocalCluster;
let api: NodeApi & { close(): void };
let requests = 0;
let dataDir: string;
const agents: NodeAgent[] = [];

beforeAll(async () => {
  cluster = await startCluster({ tools: false });
  api = createHttpApi({ server: cluster.server, token: cluster.token, ca: cluster.ca, onRequest: () => requests++ });
  dataDir = await mkdtemp(join(tmpdir(), 'zp-agent-'));
}, 120_000);

afterAll(async () => {
  api?.close();
  await cluster?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

async function startAgent(runtime: FakeRuntime, nodeName: string, extra: Partial<AgentOptions> = {}): Promise<NodeAgent> {
  const agent = await startNodeAgent({ api, runtime, nodeName, dataDir, relistMs: 100, nodeIP: '192.0.2.10', serverPort: 10250, ...extra });
  agents.push(agent);
  return agent;
}

async function stopAgent(agent: NodeAgent): Promise<void> {
  agents.splice(agents.indexOf(agent), 1);
  await agent.stop();
}

function podObject(name: string, nodeName: string, spec: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'app', image: 'zp/busybox:1', command: ['sleep', '3600'] }], ...spec },
  } as Pod;
}

const getPod = (name: string) => api.get<Pod>('core/pods', 'default', name);

async function waitForPod(name: string, check: (p: Pod) => boolean, timeout = 20_000): Promise<Pod> {
  let last: Pod | undefined;
  await expect.poll(async () => ((last = await getPod(name)) ? check(last) : false), { timeout, interval: 100 }).toBe(true);
  return last!;
}

describe('node agent', () => {
  it('registers a Ready node with host capacity, standard labels, its own pod CIDR and a renewed Lease', async () => {
    const nodeName = uniqueName('node-reg');
    const agent = await startAgent(new FakeRuntime(), nodeName, { leaseRenewMs: 200 });
    const node = (await api.get<Node>('core/nodes', '', nodeName))!;
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': expect.any(String) });
    expect(node.status?.capacity).toMatchObject({ cpu: expect.stringMatching(/^\d+$/), memory: expect.stringMatching(/^\d+Ki$/), pods: '110' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '192.0.2.10' }, { type: 'Hostname', address: nodeName }]);
    expect(node.status?.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(node.spec?.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
    expect(node.spec?.podCIDR).toBe(agent.podCidr);
    expect(agent.dnsIP).toBe(agent.podCidr.replace(/0\/24$/, '1'));

    const lease = await api.get<Lease>('coordination.k8s.io/leases', 'kube-node-lease', nodeName);
    expect(lease?.spec).toMatchObject({ holderIdentity: nodeName, leaseDurationSeconds: 40 });
    await expect.poll(async () => (await api.get<Lease>('coordination.k8s.io/leases', 'kube-node-lease', nodeName))?.spec?.renewTime, { timeout: 5000 }).not.toBe(lease?.spec?.renewTime);
  });

  it('gives agents starting together different pod CIDRs', async () => {
    const names = [uniqueName('node-a'), uniqueName('node-b'), uniqueName('node-c')];
    const started = await Promise.all(names.map((n) => startAgent(new FakeRuntime(), n)));
    expect(new Set(started.map((a) => a.podCidr)).size).toBe(3);
  });

  it('runs a bound pod to Running and Ready with an IP from the node CIDR and kubectl-shaped statuses', async () => {
    const nodeName = uniqueName('node-run');
    const runtime = new FakeRuntime();
    const agent = await startAgent(runtime, nodeName);
    const name = uniqueName('web');
    await api.create(podObject(name, nodeName));
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(inCidr(pod.status!.podIP!, agent.podCidr)).toBe(true);
    expect(pod.status!.podIP).not.toBe(agent.dnsIP);
    expect(pod.status!.hostIP).toBe('192.0.2.10');
    const [cs] = pod.status!.containerStatuses!;
    expect(cs).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0, image: 'zp/busybox:1', state: { running: { startedAt: expect.any(String) } } });
    expect(cs!.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(cs!.imageID).toMatch(/^docker:\/\/sha256:/);
    expect(podStatusCells(pod, new Date())).toMatchObject({ ready: '1/1', status: 'Running', restarts: '0' });
    expect(runtime.containersOf(name).map((c) => c.spec?.entrypoint)).toEqual([['sleep', '3600']]);
  });

  it('ends a Never pod whose container exits 7 as Failed with exitCode 7', async () => {
    const nodeName = uniqueName('node-fail');
    await startAgent(new FakeRuntime(), nodeName);
    const name = uniqueName('job');
    await api.create(podObject(name, nodeName, { restartPolicy: 'Never', containers: [{ name: 'app', image: 'zp/busybox:1', command: ['sh', '-c', 'exit 7'] }] }));
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Failed');
    expect(pod.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(podStatusCells(pod, new Date())).toMatchObject({ ready: '0/1', status: 'Error' });
  });

  it('stops and removes the containers of a deleted pod and the pod object is gone', async () => {
    const nodeName = uniqueName('node-del');
    const runtime = new FakeRuntime();
    await startAgent(runtime, nodeName);
    const name = uniqueName('web');
    await api.create(podObject(name, nodeName));
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running');
    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name }, { preconditionUid: pod.metadata.uid });
    await expect.poll(() => runtime.list({ 'zeroplane.io/pod-uid': pod.metadata.uid! }), { timeout: 10_000 }).toEqual([]);
    expect(runtime.calls.stop).toBeGreaterThanOrEqual(2);
    expect(await getPod(name)).toBeUndefined();
  });

  it('finishes a pod held by a finalizer: terminal status, then the grace-0 delete, then removal', async () => {
    const nodeName = uniqueName('node-fin');
    const runtime = new FakeRuntime();
    await startAgent(runtime, nodeName);
    const name = uniqueName('held');
    const created = await api.create<Pod>({ ...podObject(name, nodeName), metadata: { name, namespace: 'default', finalizers: ['example.com/hold'] } });
    await waitForPod(name, (p) => p.status?.phase === 'Running');
    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name });
    const terminal = await waitForPod(name, (p) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded');
    expect(terminal.metadata.deletionTimestamp).toBeDefined();
    await expect.poll(() => runtime.list({ 'zeroplane.io/pod-uid': created.metadata.uid! }), { timeout: 10_000 }).toEqual([]);
    await api.update<Pod>({ ...(await getPod(name))!, metadata: { ...(await getPod(name))!.metadata, finalizers: [] } });
    await expect.poll(() => getPod(name), { timeout: 10_000 }).toBeUndefined();
  });

  it('passes env from a ConfigMap, a Secret and fieldRefs, and materialises configMap, secret and emptyDir volumes', async () => {
    const nodeName = uniqueName('node-env');
    const runtime = new FakeRuntime();
    await startAgent(runtime, nodeName);
    const cm = uniqueName('cfg');
    const secret = uniqueName('sec');
    await api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, namespace: 'default' }, data: { MODE: 'fast', 'app.conf': 'x=1' } });
    await api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: 'default' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    const name = uniqueName('env');
    await api.create(
      podObject(name, nodeName, {
        containers: [
          {
            name: 'app',
            image: 'zp/busybox:1',
            command: ['echo', '$(MODE)'],
            envFrom: [{ configMapRef: { name: cm } }],
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: 'password' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            ],
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/cfg' },
              { name: 'sec', mountPath: '/etc/sec', readOnly: true },
              { name: 'scratch', mountPath: '/scratch' },
            ],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: cm } }, { name: 'sec', secret: { secretName: secret } }, { name: 'scratch', emptyDir: {} }],
      }),
    );
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running');
    const spec = runtime.containersOf(name)[0]!.spec!;
    const env = Object.fromEntries(spec.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ MODE: 'fast', PASSWORD: 's3cret', POD_NAME: name, POD_IP: pod.status!.podIP, NODE: nodeName });
    expect(spec.entrypoint).toEqual(['echo', 'fast']);
    const mount = (path: string) => spec.mounts.find((m) => m.containerPath === path)!;
    expect(await readFile(join(mount('/etc/cfg').hostPath, 'app.conf'), 'utf8')).toBe('x=1');
    expect(await readFile(join(mount('/etc/sec').hostPath, 'password'), 'utf8')).toBe('s3cret');
    expect(mount('/etc/sec').readOnly).toBe(true);
    expect((await stat(mount('/scratch').hostPath)).isDirectory()).toBe(true);
  });

  it('reports CreateContainerConfigError while a referenced ConfigMap is missing', async () => {
    const nodeName = uniqueName('node-cfgerr');
    await startAgent(new FakeRuntime(), nodeName);
    const name = uniqueName('cfgerr');
    await api.create(podObject(name, nodeName, { containers: [{ name: 'app', image: 'zp/busybox:1', envFrom: [{ configMapRef: { name: 'nope' } }] }] }));
    const pod = await waitForPod(name, (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(pod.status!.containerStatuses![0]!.state!.waiting!.message).toBe('configmap "nope" not found');
    expect(pod.status!.phase).toBe('Pending');
  });

  it('adopts running pods after a restart without restarting anything', async () => {
    const nodeName = uniqueName('node-adopt');
    const runtime = new FakeRuntime();
    const first = await startAgent(runtime, nodeName);
    const name = uniqueName('web');
    await api.create(podObject(name, nodeName));
    const before = await waitForPod(name, (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready === true);
    await stopAgent(first);
    const calls = { ...runtime.calls };

    const second = await startAgent(runtime, nodeName);
    expect(second.podCidr).toBe(first.podCidr);
    await expect.poll(() => second.workers.size).toBe(1);
    await expect.poll(async () => (await getPod(name))?.status?.containerStatuses?.[0]?.ready, { timeout: 10_000 }).toBe(true);
    // A few relists later, still nothing created, started, stopped or removed.
    const listsAfter = runtime.calls.list;
    await expect.poll(() => runtime.calls.list, { timeout: 5000 }).toBeGreaterThan(listsAfter + 3);
    expect({ ...runtime.calls, list: 0, ensureImage: 0 }).toEqual({ ...calls, list: 0, ensureImage: 0 });
    const after = (await getPod(name))!;
    expect(after.status!.podIP).toBe(before.status!.podIP);
    expect(after.status!.containerStatuses![0]!.containerID).toBe(before.status!.containerStatuses![0]!.containerID);
    expect(after.status!.containerStatuses![0]!.restartCount).toBe(0);
  });

  it('removes the containers of a pod deleted while the agent was down', async () => {
    const nodeName = uniqueName('node-orphan');
    const runtime = new FakeRuntime();
    const first = await startAgent(runtime, nodeName);
    const name = uniqueName('web');
    await api.create(podObject(name, nodeName));
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running');
    await stopAgent(first);
    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name });
    expect(await runtime.list({ 'zeroplane.io/pod-uid': pod.metadata.uid! })).toHaveLength(2);

    await startAgent(runtime, nodeName);
    await expect.poll(() => runtime.list({ 'zeroplane.io/pod-uid': pod.metadata.uid! }), { timeout: 10_000 }).toEqual([]);
  });

  it('learns pods the scheduler binds to it', async () => {
    const nodeName = uniqueName('node-sched');
    const runtime = new FakeRuntime();
    await startAgent(runtime, nodeName);
    const name = uniqueName('sched');
    const { nodeName: _unset, ...spec } = podObject(name, nodeName).spec;
    await api.create({ ...podObject(name, nodeName), spec: { ...spec, nodeSelector: { 'kubernetes.io/hostname': nodeName } } } as Pod);
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running', 30_000);
    expect(pod.spec.nodeName).toBe(nodeName);
  });

  it('learns and forgets pods by polling with podSync poll, and writes the asked lease duration', async () => {
    const nodeName = uniqueName('node-poll');
    const runtime = new FakeRuntime();
    await startAgent(runtime, nodeName, { podSync: 'poll', pollMs: 300, leaseDurationSeconds: 90 });
    const lease = await api.get<Lease>('coordination.k8s.io/leases', 'kube-node-lease', nodeName);
    expect(lease?.spec?.leaseDurationSeconds).toBe(90);
    const name = uniqueName('polled');
    await api.create(podObject(name, nodeName));
    const pod = await waitForPod(name, (p) => p.status?.phase === 'Running');
    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name }, { preconditionUid: pod.metadata.uid });
    await expect.poll(() => runtime.list({ 'zeroplane.io/pod-uid': pod.metadata.uid! }), { timeout: 10_000 }).toEqual([]);
  });

  it('costs about six API requests per minute when idle', async () => {
    const nodeName = uniqueName('node-idle');
    await startAgent(new FakeRuntime(), nodeName);
    const windowMs = 21_000;
    const startCount = requests;
    const startedAt = Date.now();
    await expect.poll(() => Date.now() - startedAt >= windowMs, { timeout: windowMs + 5000, interval: 1000 }).toBe(true);
    const perMinute = ((requests - startCount) * 60_000) / (Date.now() - startedAt);
    console.log(`idle node: ${requests - startCount} API requests in ${((Date.now() - startedAt) / 1000).toFixed(1)} s = ${perMinute.toFixed(1)}/min`);
    expect(requests - startCount).toBeGreaterThanOrEqual(2);
    expect(perMinute).toBeLessThanOrEqual(10);
  }, 40_000);
});

/**
 * The agent with the real Docker runtime: pods become containers in dockerd with IPs on a pod bridge that lives
 * in a throwaway network namespace (no route off the machine), against a real local Zeroplane.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeAgent, type NodeAgent } from '../../node-agent/agent.ts';
import { createHttpApi, type NodeApi } from '../../node-agent/api-client.ts';
import { createPodNetwork } from '../../node-agent/network/pod-network.ts';
import { cidrRange, inCidr } from '../../node-agent/pod/ip-allocator.ts';
import type { ContainerRuntime } from '../../node-agent/runtime/container-runtime.ts';
import { createDockerRuntime } from '../../node-agent/runtime/docker-runtime.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import { createNetns, deleteNetns, sweepContainers, testLabels } from './support/throwaway.ts';

const TAG = 'agent';
const docker = new Docker();
let cluster: LocalCluster;
let api: NodeApi & { close(): void };
let netns: string;
let dataDir: string;
const nodeName = `docker-node-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await sweepContainers(docker, TAG, 'dead');
  netns = await createNetns(TAG);
  dataDir = await mkdtemp(join(tmpdir(), 'zp-agent-docker-'));
  cluster = await startCluster({ tools: false });
  api = createHttpApi({ server: cluster.server, token: cluster.token, ca: cluster.ca });
}, 120_000);

afterAll(async () => {
  await sweepContainers(docker, TAG, 'mine');
  api?.close();
  await cluster?.stop();
  if (netns) await deleteNetns(netns);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startAgent(): Promise<NodeAgent> {
  return startNodeAgent({
    api,
    nodeName,
    dataDir,
    relistMs: 200,
    extraLabels: testLabels(TAG),
    runtime: async (podCidr): Promise<ContainerRuntime> => {
      const range = cidrRange(podCidr);
      const network = createPodNetwork({ netns, bridge: 'zpbr0', gatewayCidr: `${range.gateway}/${range.prefix}` });
      await network.ensureBridge();
      return createDockerRuntime({ network, podFilesDir: join(dataDir, 'pod-files') });
    },
  });
}

function podObject(name: string, spec: Record<string, unknown>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 1, ...spec },
  } as Pod;
}

async function waitForPod(name: string, check: (p: Pod) => boolean): Promise<Pod> {
  let last: Pod | undefined;
  await expect.poll(async () => ((last = await api.get<Pod>('core/pods', 'default', name)) ? check(last) : false), { timeout: 30_000, interval: 200 }).toBe(true);
  return last!;
}

const podContainers = (uid: string) => docker.listContainers({ all: true, filters: { label: [`zeroplane.io/pod-uid=${uid}`] } });

describe('node agent on Docker', () => {
  it('runs pods in dockerd, ends exit 7 as Failed, survives its own restart and removes deleted pods', async () => {
    let agent = await startAgent();
    await api.create(podObject('web', { containers: [{ name: 'app', image: 'zp/busybox:1', imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }));
    await api.create(podObject('job', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'zp/busybox:1', imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 7'] }] }));

    const web = await waitForPod('web', (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready === true);
    expect(inCidr(web.status!.podIP!, agent.podCidr)).toBe(true);
    const job = await waitForPod('job', (p) => p.status?.phase === 'Failed');
    expect(job.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(job.status!.podIP).not.toBe(web.status!.podIP);
    const webContainers = await podContainers(web.metadata.uid!);
    expect(webContainers.map((c) => c.State).sort()).toEqual(['running', 'running']);

    // kill -9 is not needed to lose the agent's memory: a new agent object starts from the runtime alone.
    await agent.stop();
    agent = await startAgent();
    await expect.poll(() => agent.workers.size).toBe(2);
    await expect.poll(async () => (await api.get<Pod>('core/pods', 'default', 'web'))?.status?.containerStatuses?.[0]?.ready, { timeout: 15_000 }).toBe(true);
    const adopted = await podContainers(web.metadata.uid!);
    expect(adopted.map((c) => c.Id).sort()).toEqual(webContainers.map((c) => c.Id).sort());
    expect((await api.get<Pod>('core/pods', 'default', 'web'))!.status!.containerStatuses![0]!.restartCount).toBe(0);

    await api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web' });
    await expect.poll(() => podContainers(web.metadata.uid!), { timeout: 30_000, interval: 250 }).toEqual([]);
    await agent.stop();
  }, 120_000);
});

/**
 * `zeroplane up` running this machine as a node in its own process (the `npm start` path), with the node's network
 * plane in a throwaway namespace (`--agent-netns`): progress lines, a Ready node named by ZEROPLANE_NODE_NAME (the
 * host name otherwise), a pod run in dockerd with its logs through the API, and a clean stop.
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_LABEL } from '../../node-agent/pod-worker.ts';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import { alive, createNetns, deleteNetns } from '../node-agent/support/throwaway.ts';

const NODE_PREFIX = 'e2e-up-';
const nodeName = `${NODE_PREFIX}${process.pid}`;
const docker = new Docker();
let cluster: LocalCluster;
let netns: string;

async function removeContainers(which: 'dead' | 'mine'): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { label: [NODE_LABEL] } });
  const doomed = found.filter((c) => {
    const node = c.Labels[NODE_LABEL] ?? '';
    return node.startsWith(NODE_PREFIX) && (which === 'mine' ? node === nodeName : !alive(Number(node.slice(NODE_PREFIX.length))));
  });
  await Promise.all(doomed.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  await removeContainers('dead');
  netns = await createNetns('e2e-up');
  cluster = await startCluster({ args: ['--agent-netns', netns], env: { ZEROPLANE_NODE_NAME: nodeName } });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await removeContainers('mine');
  if (netns) await deleteNetns(netns);
}, 60_000);

describe('zeroplane up with Docker', () => {
  it('starts a node after the API, says so, and runs pods whose logs kubectl reads', async () => {
    expect(cluster.logs()).toMatch(new RegExp(`• starting node ${nodeName} \\(Docker, network in netns ${netns}\\)…`));
    expect(cluster.logs()).toMatch(new RegExp(`✓ node ${nodeName}: pod CIDR 10\\.244\\.\\d+\\.0/24, node server [\\d.]+:\\d+ \\(`));
    await expect.poll(async () => (await cluster.kubectl('get', 'nodes')).stdout, { timeout: 30_000 }).toMatch(new RegExp(`${nodeName}\\s+Ready`));
    const run = await cluster.kubectl('run', 'hello', '--image', 'zp/busybox:1', '--image-pull-policy', 'IfNotPresent', '--restart', 'Never', '--', 'sh', '-c', 'echo hello from a real node');
    expect(run.code, run.stderr).toBe(0);
    await expect.poll(async () => (await cluster.kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}')).stdout, { timeout: 60_000, interval: 250 }).toBe('Succeeded');
    expect((await cluster.kubectl('logs', 'hello')).stdout).toBe('hello from a real node\n');
  }, 120_000);
});

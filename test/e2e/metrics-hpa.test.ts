/**
 * metrics.k8s.io and the HorizontalPodAutoscaler end to end: the real kubectl against
 * `zeroplane up --simulated-nodes 3`. Simulated pods use what their `zeroplane.dev/simulated-cpu` annotation says,
 * so `kubectl top` shows it and the HPA scales on it — the same path a real node's Docker readings take.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import type { RunResult } from '../support/tools.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster({ args: ['--simulated-nodes', '3'] });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

function expectOk(r: RunResult): RunResult {
  expect(r.code, `kubectl failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver: ${cluster.logs().slice(-3000)}`).toBe(0);
  return r;
}
const k = async (...args: string[]) => expectOk(await cluster.kubectl(...args));
const kIn = async (input: string, ...args: string[]) => expectOk(await cluster.kubectlWith(args, { input }));
const out = async (...args: string[]) => (await k(...args)).stdout.trim();

function deployment(ns: string, name: string, replicas: number, podCpu: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'zeroplane.dev/simulated-cpu': podCpu, 'zeroplane.dev/simulated-memory': '48Mi' } },
        spec: { containers: [{ name: 'web', image: 'zp/busybox:1', resources: { requests: { cpu: '200m', memory: '64Mi' } } }] },
      },
    },
  });
}

describe('kubectl top', () => {
  it('shows every node with CPU and memory and their share of allocatable', async () => {
    await vi.waitFor(async () => {
      const r = await cluster.kubectl('top', 'nodes', '--no-headers');
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      for (const l of lines) expect(l).toMatch(/^sim-node-\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    }, { timeout: 30_000, interval: 500 });
  });

  it('shows the pods of a namespace with what they use, also per container', async () => {
    await k('create', 'namespace', 'top');
    await kIn(deployment('top', 'api', 2, '120m'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', 'top', 'deployment/api', '--timeout=60s');
    await vi.waitFor(async () => {
      const lines = (await out('top', 'pods', '-n', 'top', '--no-headers')).split('\n');
      expect(lines).toHaveLength(2);
      for (const l of lines) expect(l).toMatch(/^api-[a-z0-9]+-[a-z0-9]+\s+120m\s+48Mi\s*$/);
    }, { timeout: 30_000, interval: 500 });
    const containers = await out('top', 'pods', '-n', 'top', '--containers', '--no-headers');
    expect(containers.split('\n')[0]).toMatch(/^api-\S+\s+web\s+120m\s+48Mi\s*$/);
    expect(await out('top', 'pods', '-n', 'top', '-l', 'app=nothing', '--no-headers')).toBe('');
  });

  it('answers metrics.k8s.io directly, with NotFound for a pod that has no readings', async () => {
    const r = await cluster.kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/top/pods/missing');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods.metrics.k8s.io "missing" not found');
    const list = JSON.parse(await out('get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'));
    expect(list.kind).toBe('NodeMetricsList');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['sim-node-1', 'sim-node-2', 'sim-node-3']);
  });
});

describe('kubectl autoscale', () => {
  it('scales a Deployment up step by step while its pods use more CPU than the target, up to its maximum', async () => {
    await k('create', 'namespace', 'hpa');
    await kIn(deployment('hpa', 'web', 2, '180m'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', 'hpa', 'deployment/web', '--timeout=60s');
    // Every replica keeps using 180m of its 200m request: 90% against a 50% target. The first sync asks for
    // ceil(2 × 90/50) = 4, the next (the new pods run just as hot) for ceil(4 × 90/50) = 8, held at the maximum 6.
    const seen = new Set<string>();
    await k('autoscale', '-n', 'hpa', 'deployment/web', '--cpu=50%', '--min=1', '--max=6');
    await vi.waitFor(async () => {
      const replicas = await out('get', 'deployment', '-n', 'hpa', 'web', '-o', 'jsonpath={.spec.replicas}');
      seen.add(replicas);
      expect(replicas).toBe('6');
    }, { timeout: 90_000, interval: 250 });
    expect([...seen].every((r) => ['2', '4', '6'].includes(r)), `replica counts seen: ${[...seen].join(', ')}`).toBe(true);
    await vi.waitFor(async () => {
      const row = await out('get', 'hpa', '-n', 'hpa', 'web', '--no-headers');
      expect(row).toMatch(/^web\s+Deployment\/web\s+cpu: 90%\/50%\s+1\s+6\s+6\s/);
      const conditions = await out('get', 'hpa', '-n', 'hpa', 'web', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason} {end}');
      expect(conditions).toContain('AbleToScale=True');
      expect(conditions).toContain('ScalingActive=True/ValidMetricFound');
      expect(conditions).toContain('ScalingLimited=True/TooManyReplicas');
    }, { timeout: 60_000, interval: 1000 });
    await k('rollout', 'status', '-n', 'hpa', 'deployment/web', '--timeout=60s');
  });
});

import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import { cpuQuantity, memoryQuantity, toNodeMetrics, toPodMetrics } from '../../../functions/metrics/metrics-views.ts';
import { IDLE_CPU_NANOCORES, simulatedNodeUsage, simulatedPodUsage } from '../../../functions/metrics/simulated-metrics.ts';
import { readNodeMetrics, readPodMetrics, type MetricsReaderDeps } from '../../../functions/metrics/metrics-reader.ts';
import type { MetricsSource } from '../../../functions/metrics/metrics-source.ts';

function pod(name: string, opts: { node?: string; phase?: string; annotations?: Record<string, string>; containers?: string[]; ns?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.ns ?? 'default', labels: { app: 'web' }, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: { nodeName: opts.node ?? 'n1', containers: (opts.containers ?? ['app']).map((c) => ({ name: c, image: 'zp/busybox:1' })) },
    status: { phase: opts.phase ?? 'Running' },
  } as Pod;
}

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: 'a' } } }) as Node;

describe('metrics-server formats', () => {
  it.each([
    [250_000_000, '250000000n'],
    [0, '0n'],
    [-5, '0n'],
    [1.6, '2n'],
  ])('CPU %d nanocores is %s', (n, q) => expect(cpuQuantity(n)).toBe(q));

  it.each([
    [5 * 1024 * 1024, '5120Ki'],
    [1023, '1Ki'],
    [0, '0Ki'],
  ])('memory %d bytes is %s', (b, q) => expect(memoryQuantity(b)).toBe(q));

  it('builds NodeMetrics and PodMetrics with timestamp, window and usage', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const usage = { timestamp: Date.parse('2026-11-23T11:59:58Z'), windowSeconds: 10, cpuNanocores: 5e8, memoryBytes: 2048, pods: [] };
    expect(toNodeMetrics({ name: 'n1' }, usage, now)).toEqual({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetrics',
      metadata: { name: 'n1', creationTimestamp: '2026-11-23T12:00:00Z' },
      timestamp: '2026-11-23T11:59:58Z',
      window: '10s',
      usage: { cpu: '500000000n', memory: '2Ki' },
    });
    const pm = toPodMetrics({ namespace: 'ns', name: 'p', containers: [{ name: 'c', cpuNanocores: 1e6, memoryBytes: 4096 }] }, { app: 'x' }, usage, now);
    expect(pm.metadata).toEqual({ name: 'p', namespace: 'ns', creationTimestamp: '2026-11-23T12:00:00Z', labels: { app: 'x' } });
    expect(pm.containers).toEqual([{ name: 'c', usage: { cpu: '1000000n', memory: '4Ki' } }]);
  });
});

describe('simulated readings', () => {
  it('shares the annotated pod CPU and memory evenly between containers', () => {
    const u = simulatedPodUsage(pod('p', { annotations: { 'zeroplane.dev/simulated-cpu': '300m', 'zeroplane.dev/simulated-memory': '64Mi' }, containers: ['a', 'b'] }));
    expect(u.containers).toEqual([
      { name: 'a', cpuNanocores: 150_000_000, memoryBytes: 32 * 1024 * 1024 },
      { name: 'b', cpuNanocores: 150_000_000, memoryBytes: 32 * 1024 * 1024 },
    ]);
  });

  it('gives an unannotated pod an idle reading and counts only running pods on the node', () => {
    const usage = simulatedNodeUsage([pod('a'), pod('b', { phase: 'Pending' }), pod('c', { phase: 'Succeeded' })], 0);
    expect(usage.pods.map((p) => p.name)).toEqual(['a']);
    expect(usage.pods[0].containers[0].cpuNanocores).toBe(IDLE_CPU_NANOCORES);
    expect(usage.cpuNanocores).toBeGreaterThan(IDLE_CPU_NANOCORES);
  });
});

describe('reading metrics across nodes', () => {
  const pods = [pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), pod('c', { node: 'n1', ns: 'other' }), pod('d', { node: 'n2', phase: 'Pending' })];
  const source = (slow: Set<string>): MetricsSource => ({
    async nodeUsage(n, onNode) {
      if (slow.has(n.metadata.name ?? '')) return new Promise(() => undefined);
      return simulatedNodeUsage(onNode, Date.parse('2026-11-23T12:00:00Z'));
    },
  });
  const deps = (slow = new Set<string>()): MetricsReaderDeps => ({
    source: source(slow),
    listNodes: async () => [node('n1'), node('n2')],
    listPods: async (ns) => pods.filter((p) => ns === undefined || p.metadata.namespace === ns),
    now: () => new Date('2026-11-23T12:00:01Z'),
    timeoutMs: 50,
  });

  it('lists the running pods of a namespace from every node that answers', async () => {
    expect((await readPodMetrics(deps(), 'default')).map((m) => m.metadata.name)).toEqual(['a', 'b']);
    expect((await readPodMetrics(deps(), undefined)).map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual(['default/a', 'default/b', 'other/c']);
  });

  it('leaves out a node that does not answer in time instead of failing the list', async () => {
    expect((await readNodeMetrics(deps(new Set(['n2'])))).map((m) => m.metadata.name)).toEqual(['n1']);
    expect((await readPodMetrics(deps(new Set(['n2'])), 'default')).map((m) => m.metadata.name)).toEqual(['a']);
  });
});

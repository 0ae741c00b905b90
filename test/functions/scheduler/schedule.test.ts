import { describe, expect, it } from 'vitest';
import { fitErrorMessage } from '../../../functions/scheduler/fit-error.ts';
import { podInfo, nodeInfo, addPod } from '../../../functions/scheduler/node-info.ts';
import { nodeAffinity } from '../../../functions/scheduler/plugins/node-affinity.ts';
import { nodePorts } from '../../../functions/scheduler/plugins/node-ports.ts';
import { nodeResourcesFit } from '../../../functions/scheduler/plugins/node-resources-fit.ts';
import { nodeUnschedulable } from '../../../functions/scheduler/plugins/node-unschedulable.ts';
import { taintToleration } from '../../../functions/scheduler/plugins/taint-toleration.ts';
import { numFeasibleNodesToFind, schedule, scheduleBatch, Snapshot } from '../../../functions/scheduler/schedule.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { node, ownerRef, pod, type NodeOptions, type PodOptions } from '../controllers/builders.ts';

function check(plugin: typeof nodeResourcesFit, p: PodOptions, n: NodeOptions, bound: PodOptions[] = []) {
  const info = nodeInfo(node(n));
  for (const b of bound) addPod(info, podInfo(pod({ ...b, nodeName: n.name })));
  return plugin(podInfo(pod(p)), info);
}

describe('scheduler filters', () => {
  it.each([
    ['fits', { name: 'p', requests: { cpu: '1', memory: '1Gi' } }, { name: 'n' }, [], { ok: true }],
    ['too much cpu', { name: 'p', requests: { cpu: '5' } }, { name: 'n' }, [], { ok: false, reasons: ['Insufficient cpu'] }],
    ['cpu and memory', { name: 'p', requests: { cpu: '3', memory: '10Gi' } }, { name: 'n', cpu: '4', memory: '16Gi' }, [{ name: 'b', requests: { cpu: '2', memory: '8Gi' } }], { ok: false, reasons: ['Insufficient cpu', 'Insufficient memory'] }],
    ['too many pods', { name: 'p' }, { name: 'n', pods: '1' }, [{ name: 'b' }], { ok: false, reasons: ['Too many pods'] }],
    ['extended resource', { name: 'p', requests: { 'nvidia.com/gpu': '1' } }, { name: 'n' }, [], { ok: false, reasons: ['Insufficient nvidia.com/gpu'] }],
    ['exactly full', { name: 'p', requests: { cpu: '500m' } }, { name: 'n', cpu: '1' }, [{ name: 'b', requests: { cpu: '0.5' } }], { ok: true }],
  ])('NodeResourcesFit: %s', (_name, p, n, bound, want) => {
    expect(check(nodeResourcesFit, p as PodOptions, n, bound as PodOptions[])).toEqual(want);
  });

  it.each([
    ['a cordoned node', { name: 'p' }, { name: 'n', unschedulable: true }, { ok: false, reasons: ['node(s) were unschedulable'] }],
    ['a cordoned node with a toleration', { name: 'p', tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }, { name: 'n', unschedulable: true }, { ok: true }],
    ['a schedulable node', { name: 'p' }, { name: 'n' }, { ok: true }],
  ])('NodeUnschedulable: %s', (_name, p, n, want) => {
    expect(check(nodeUnschedulable, p as PodOptions, n)).toEqual(want);
  });

  it.each([
    ['an untolerated taint', { name: 'p' }, { name: 'n', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }, { ok: false, reasons: ['node(s) had untolerated taint {dedicated: gpu}'] }],
    ['a tolerated taint', { name: 'p', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }, { name: 'n', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }, { ok: true }],
    ['a wrong toleration value', { name: 'p', tolerations: [{ key: 'dedicated', value: 'cpu' }] }, { name: 'n', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }, { ok: false, reasons: ['node(s) had untolerated taint {dedicated: gpu}'] }],
    ['a PreferNoSchedule taint', { name: 'p' }, { name: 'n', taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }, { ok: true }],
    ['a not-ready node', { name: 'p' }, { name: 'n', ready: 'False' }, { ok: false, reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'] }],
    ['an unreachable node', { name: 'p' }, { name: 'n', ready: 'Unknown' }, { ok: false, reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'] }],
    ['a wildcard toleration', { name: 'p', tolerations: [{ operator: 'Exists' }] }, { name: 'n', ready: 'False', taints: [{ key: 'x', effect: 'NoExecute' }] }, { ok: true }],
  ])('TaintToleration: %s', (_name, p, n, want) => {
    expect(check(taintToleration, p as PodOptions, n as NodeOptions)).toEqual(want);
  });

  const affinity = (op: string, values?: string[]) => ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: op, ...(values ? { values } : {}) }] }] } },
  });
  it.each([
    ['a matching nodeSelector', { nodeSelector: { disk: 'ssd' } }, { disk: 'ssd' }, true],
    ['a mismatching nodeSelector', { nodeSelector: { disk: 'ssd' } }, { disk: 'hdd' }, false],
    ['In', { affinity: affinity('In', ['ssd', 'nvme']) }, { disk: 'nvme' }, true],
    ['NotIn', { affinity: affinity('NotIn', ['ssd']) }, { disk: 'ssd' }, false],
    ['Exists', { affinity: affinity('Exists') }, {}, false],
    ['DoesNotExist', { affinity: affinity('DoesNotExist') }, {}, true],
    ['Gt', { affinity: affinity('Gt', ['5']) }, { disk: '10' }, true],
    ['Lt', { affinity: affinity('Lt', ['5']) }, { disk: '10' }, false],
  ])('NodeAffinity: %s', (_name, p, labels, ok) => {
    const want = ok ? { ok: true } : { ok: false, reasons: ["node(s) didn't match Pod's node affinity/selector"] };
    expect(check(nodeAffinity, { name: 'p', ...p } as PodOptions, { name: 'n', labels })).toEqual(want);
  });

  it.each([
    ['a free port', 8080, [], true],
    ['a taken port', 8080, [8080], false],
    ['another taken port', 8080, [9090], true],
  ])('NodePorts: %s', (_name, port, taken, ok) => {
    const want = ok ? { ok: true } : { ok: false, reasons: ["node(s) didn't have free ports for the requested pod ports"] };
    expect(check(nodePorts, { name: 'p', hostPort: port }, { name: 'n' }, (taken as number[]).map((hp, i) => ({ name: `b${i}`, hostPort: hp })))).toEqual(want);
  });
});

describe('schedule', () => {
  it.each([
    ['all nodes short of cpu', [{ name: 'a', cpu: '1' }, { name: 'b', cpu: '1' }, { name: 'c', cpu: '1' }], '0/3 nodes are available: 3 Insufficient cpu.'],
    [
      'mixed reasons, counted and sorted',
      [{ name: 'a', cpu: '1' }, { name: 'b', unschedulable: true }, { name: 'c', cpu: '1', memory: '1Gi' }, { name: 'd', ready: 'False' as const }],
      "0/4 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 Insufficient cpu.",
    ],
    ['no nodes', [], '0/0 nodes are available:'],
  ])('explains an unschedulable pod: %s', (_name, nodes, message) => {
    const p = pod({ name: 'p', requests: { cpu: '2', memory: '2Gi' } });
    expect(schedule(p, nodes.map(node), [])).toEqual({ unschedulable: message });
  });

  it('sorts the histogram as strings, like Go', () => {
    expect(fitErrorMessage(12, [...Array(10).fill(['B']), ['A'], ['A']])).toBe('0/12 nodes are available: 10 B, 2 A.');
  });

  it('prefers the least allocated node', () => {
    const nodes = [node({ name: 'busy' }), node({ name: 'idle' })];
    const bound = pod({ name: 'b', nodeName: 'busy', requests: { cpu: '3', memory: '8Gi' } });
    expect(schedule(pod({ name: 'p', requests: { cpu: '100m' } }), nodes, [bound])).toEqual({ node: 'idle' });
  });

  it('counts bound pods against their node and ignores finished ones', () => {
    const nodes = [node({ name: 'a', cpu: '2' })];
    const running = pod({ name: 'r', nodeName: 'a', requests: { cpu: '1500m' } });
    const done = pod({ name: 'd', nodeName: 'a', requests: { cpu: '1500m' }, phase: 'Succeeded' });
    expect(schedule(pod({ name: 'p', requests: { cpu: '500m' } }), nodes, [running, done])).toEqual({ node: 'a' });
    expect(schedule(pod({ name: 'p', requests: { cpu: '600m' } }), nodes, [running])).toEqual({ unschedulable: '0/1 nodes are available: 1 Insufficient cpu.' });
  });

  it('spreads one owner’s replicas across nodes and zones', () => {
    const nodes = [node({ name: 'a1', zone: 'a' }), node({ name: 'a2', zone: 'a' }), node({ name: 'b1', zone: 'b' })];
    const owner = ownerRef('ReplicaSet', 'web');
    const snapshot = new Snapshot(nodes, []);
    const pending = Array.from({ length: 6 }, (_, i) => pod({ name: `p${i}`, owner }));
    const placed = scheduleBatch(pending, snapshot).map((x) => ('node' in x.result ? x.result.node : 'none'));
    const perZone = { a: placed.filter((n) => n.startsWith('a')).length, b: placed.filter((n) => n.startsWith('b')).length };
    expect(perZone).toEqual({ a: 3, b: 3 });
    expect(new Set(placed)).toEqual(new Set(['a1', 'a2', 'b1']));
  });

  it('never overcommits a node within a batch', () => {
    const snapshot = new Snapshot([node({ name: 'a', cpu: '1' }), node({ name: 'b', cpu: '1' })], []);
    const pending: Pod[] = Array.from({ length: 5 }, (_, i) => pod({ name: `p${i}`, requests: { cpu: '400m' } }));
    const results = scheduleBatch(pending, snapshot).map((x) => x.result);
    expect(results.filter((r) => 'node' in r)).toHaveLength(4);
    expect(results[4]).toEqual({ unschedulable: '0/2 nodes are available: 2 Insufficient cpu.' });
  });

  it('skips pods that are already bound or gated', () => {
    const snapshot = new Snapshot([node({ name: 'a' })], []);
    const gated = pod({ name: 'g' });
    gated.spec.schedulingGates = [{ name: 'wait' }];
    expect(scheduleBatch([pod({ name: 'b', nodeName: 'a' }), gated], snapshot)).toEqual([]);
  });

  it.each([
    [50, 50],
    [100, 100],
    [1000, 420],
    [5000, 500],
  ])('examines enough nodes on a %s-node cluster (%s)', (n, want) => {
    expect(numFeasibleNodesToFind(n)).toBe(want);
  });

  it('places 10,000 pods on 1,000 nodes at well over 1,000 pods per second', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node({ name: `n${i}`, zone: `z${i % 3}` }));
    const owner = ownerRef('ReplicaSet', 'big');
    const pending = Array.from({ length: 10_000 }, (_, i) => pod({ name: `p${i}`, owner, requests: { cpu: '100m', memory: '128Mi' } }));
    const start = performance.now();
    const snapshot = new Snapshot(nodes, []);
    const placed = scheduleBatch(pending, snapshot);
    const seconds = (performance.now() - start) / 1000;
    expect(placed.every((p) => 'node' in p.result)).toBe(true);
    const perNode = new Map<string, number>();
    for (const p of placed) if ('node' in p.result) perNode.set(p.result.node, (perNode.get(p.result.node) ?? 0) + 1);
    expect(Math.max(...perNode.values())).toBeLessThanOrEqual(40);
    expect(10_000 / seconds).toBeGreaterThan(1000);
  });
});

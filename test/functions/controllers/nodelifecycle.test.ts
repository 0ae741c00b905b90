import { describe, expect, it } from 'vitest';
import { reconcileNodeLifecycle } from '../../../functions/controllers/nodelifecycle.ts';
import type { Lease } from '../../../shared/api/kinds/lease.ts';
import { iso, node, pod, T0 } from './builders.ts';

const lease = (secondsAgo: number): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: iso(T0, -secondsAgo) } });

describe('reconcileNodeLifecycle', () => {
  it('leaves a node with a fresh lease alone and looks again when it would expire', () => {
    const r = reconcileNodeLifecycle({ node: node({ name: 'n1' }), lease: lease(10), pods: [], now: T0 });
    expect(r).toEqual({ actions: [], requeueAfterMs: 30_000 });
  });

  it('marks a node with an expired lease Ready=Unknown and taints it unreachable', () => {
    const r = reconcileNodeLifecycle({ node: node({ name: 'n1' }), lease: lease(41), pods: [], now: T0 });
    expect(r.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(r.nodeUpdate?.spec?.taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0) },
    ]);
  });

  it.each([
    ['keeps a pod within its toleration', 100, false],
    ['evicts a pod after its toleration', 301, true],
  ])('%s', (_name, taintedSecondsAgo, evicts) => {
    const n = node({ name: 'n1', ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] });
    n.spec!.taints!.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0, -taintedSecondsAgo) } as never);
    const r = reconcileNodeLifecycle({ node: n, lease: lease(500), pods: [pod({ name: 'p', nodeName: 'n1' })], now: T0 });
    expect(r.actions.length === 1).toBe(evicts);
    expect(r.nodeUpdate).toBeUndefined();
  });

  it('removes the taints when the node is Ready again', () => {
    const n = node({ name: 'n1', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoSchedule' }] });
    const r = reconcileNodeLifecycle({ node: n, lease: lease(1), pods: [], now: T0 });
    expect(r.nodeUpdate?.spec?.taints).toEqual([{ key: 'dedicated', effect: 'NoSchedule' }]);
  });

  it('drops the taints field when the last taint goes', () => {
    const n = node({ name: 'n1', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] });
    const r = reconcileNodeLifecycle({ node: n, lease: lease(1), pods: [], now: T0 });
    expect(r.nodeUpdate?.spec).not.toHaveProperty('taints');
  });

  it('marks the ready pods of an unreachable node not ready while they wait out their toleration', () => {
    const n = node({ name: 'n1', ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] });
    n.spec!.taints!.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0, -10) } as never);
    const r = reconcileNodeLifecycle({ node: n, lease: lease(500), pods: [pod({ name: 'p', nodeName: 'n1', ready: true }), pod({ name: 'q', nodeName: 'n1', ready: false })], now: T0 });
    expect(r.actions).toEqual([
      { type: 'patchStatus', ref: expect.objectContaining({ name: 'p' }), status: expect.objectContaining({ conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0) }] }) },
    ]);
    expect(r.requeueAfterMs).toBe(290_000);
  });
});

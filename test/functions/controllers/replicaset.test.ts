import { describe, expect, it } from 'vitest';
import { podsToDelete, reconcileReplicaSet } from '../../../functions/controllers/replicaset.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { iso, ownerRef, pod, replicaSet, T0 } from './builders.ts';

const owner = ownerRef('ReplicaSet', 'web-rs');

function owned(name: string, o: Partial<Parameters<typeof pod>[0]> = {}): Pod {
  return pod({ name, owner, nodeName: 'n1', ready: true, ...o });
}

describe('reconcileReplicaSet', () => {
  it.each([
    ['creates the missing pods', 3, 1, 2, 0],
    ['deletes the extra pods', 1, 3, 0, 2],
    ['does nothing when the count matches', 2, 2, 0, 0],
  ])('%s', (_name, want, have, creates, deletes) => {
    const rs = replicaSet('web-rs', want);
    const pods = Array.from({ length: have }, (_, i) => owned(`p${i}`));
    const r = reconcileReplicaSet({ replicaSet: rs, pods, now: T0 });
    expect(r.actions.filter((a) => a.type === 'create')).toHaveLength(creates);
    expect(r.actions.filter((a) => a.type === 'delete')).toHaveLength(deletes);
  });

  it('builds pods from the template with generateName and a controller reference', () => {
    const r = reconcileReplicaSet({ replicaSet: replicaSet('web-rs', 1), pods: [], now: T0 });
    expect(r.actions[0]).toMatchObject({
      type: 'create',
      object: { kind: 'Pod', metadata: { generateName: 'web-rs-', namespace: 'default', labels: { app: 'web' }, ownerReferences: [owner] }, spec: { containers: [{ image: 'nginx:1' }] } },
    });
  });

  it('ignores finished and terminating pods when counting', () => {
    const pods = [owned('a'), owned('b', { phase: 'Failed' }), owned('c', { deleting: true })];
    const r = reconcileReplicaSet({ replicaSet: replicaSet('web-rs', 2), pods, now: T0 });
    expect(r.actions.filter((a) => a.type === 'create')).toHaveLength(1);
  });

  it('adopts a matching orphan and releases an owned pod that stopped matching', () => {
    const orphan = pod({ name: 'orphan', nodeName: 'n1', ready: true });
    const strayed = owned('strayed', { labels: { app: 'other' } });
    const r = reconcileReplicaSet({ replicaSet: replicaSet('web-rs', 1), pods: [orphan, strayed], now: T0 });
    const updates = r.actions.filter((a) => a.type === 'update');
    expect(updates).toHaveLength(2);
    expect(updates.find((a) => a.type === 'update' && a.object.metadata.name === 'orphan')).toMatchObject({ object: { metadata: { ownerReferences: [owner] } } });
    expect(updates.find((a) => a.type === 'update' && a.object.metadata.name === 'strayed')).toMatchObject({ object: { metadata: { ownerReferences: [] } } });
    expect(r.actions.filter((a) => a.type === 'create' || a.type === 'delete')).toHaveLength(0);
  });

  it('leaves pods controlled by someone else alone', () => {
    const other = pod({ name: 'x', owner: ownerRef('ReplicaSet', 'other'), nodeName: 'n1', ready: true });
    const r = reconcileReplicaSet({ replicaSet: replicaSet('web-rs', 1), pods: [other], now: T0 });
    expect(r.actions).toEqual([expect.objectContaining({ type: 'create' })]);
  });

  it.each([
    ['an unscheduled pod before a scheduled one', [owned('sched'), owned('unsched', { nodeName: undefined, ready: false })], 'unsched'],
    ['a pending pod before a running one', [owned('running'), owned('pending', { phase: 'Pending', ready: false })], 'pending'],
    ['a not-ready pod before a ready one', [owned('ready'), owned('notready', { ready: false })], 'notready'],
    ['the newest pod among equals', [owned('old', { created: iso(T0) }), owned('new', { created: iso(T0, 60), readySince: iso(T0) })], 'new'],
    ['the pod ready for less time', [owned('long', { readySince: iso(T0) }), owned('short', { readySince: iso(T0, 30) })], 'short'],
  ])('deletes %s first', (_name, pods, first) => {
    expect(podsToDelete(pods, 1).map((p) => p.metadata.name)).toEqual([first]);
  });

  it('reports replicas, fully labeled, ready, available (after minReadySeconds) and observedGeneration', () => {
    const rs = replicaSet('web-rs', 3, { generation: 4, minReadySeconds: 10 });
    const pods = [
      owned('a', { readySince: iso(T0, -60) }),
      owned('b', { readySince: iso(T0, -5) }),
      owned('c', { ready: false, labels: { app: 'web', extra: 'x' } }),
    ];
    rs.spec.template!.metadata!.labels = { app: 'web', extra: 'x' };
    const r = reconcileReplicaSet({ replicaSet: rs, pods, now: T0 });
    expect(r.status).toEqual({ replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1, terminatingReplicas: 0, observedGeneration: 4 });
    expect(r.requeueAfterMs).toBe(5000);
  });

  it('writes no status when nothing changed', () => {
    const rs = replicaSet('web-rs', 1, { status: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, terminatingReplicas: 0, observedGeneration: 1 } });
    const r = reconcileReplicaSet({ replicaSet: rs, pods: [owned('a')], now: T0 });
    expect(r).toEqual({ actions: [] });
  });

  it('does nothing for a ReplicaSet that is gone', () => {
    expect(reconcileReplicaSet({ replicaSet: undefined, pods: [owned('a')], now: T0 })).toEqual({ actions: [] });
  });
});

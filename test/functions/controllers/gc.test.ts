import { describe, expect, it } from 'vitest';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, reconcileGarbage } from '../../../functions/controllers/gc.ts';
import { iso, ownerRef, pod, replicaSet, T0 } from './builders.ts';

const owner = ownerRef('ReplicaSet', 'rs');
const child = (name: string, extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ name, owner, ...extra });

describe('reconcileGarbage', () => {
  it('deletes dependents of an owner that is gone, in the background', () => {
    const r = reconcileGarbage({ owner: undefined, ownerUid: 'uid-rs', dependents: [child('a'), child('b', { deleting: true })], ownerExists: () => false });
    expect(r.actions).toEqual([{ type: 'delete', ref: expect.objectContaining({ name: 'a' }), preconditionUid: 'uid-a', propagationPolicy: 'Background' }]);
  });

  it('only drops the dangling reference when another owner still exists', () => {
    const p = child('a');
    p.metadata.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'uid-cm' });
    const r = reconcileGarbage({ owner: undefined, ownerUid: 'uid-rs', dependents: [p], ownerExists: (uid) => uid === 'uid-cm' });
    expect(r.actions).toMatchObject([{ type: 'update', object: { metadata: { ownerReferences: [{ uid: 'uid-cm' }] } } }]);
  });

  it('treats an owner recreated under the same name as gone', () => {
    const successor = replicaSet('rs', 1);
    successor.metadata.uid = 'uid-new';
    const r = reconcileGarbage({ owner: successor, ownerUid: 'uid-rs', dependents: [child('a')], ownerExists: () => false });
    expect(r.actions[0].type).toBe('delete');
  });

  it('orphans dependents and then removes the orphan finalizer', () => {
    const rs = replicaSet('rs', 1);
    rs.metadata.deletionTimestamp = iso(T0);
    rs.metadata.finalizers = [ORPHAN_FINALIZER];
    const r = reconcileGarbage({ owner: rs, ownerUid: 'uid-rs', dependents: [child('a')], ownerExists: () => true });
    expect(r.actions).toMatchObject([
      { type: 'update', object: { kind: 'Pod', metadata: { ownerReferences: [] } } },
      { type: 'update', object: { kind: 'ReplicaSet', metadata: { finalizers: [] } } },
    ]);
  });

  it.each([
    ['keeps the foreground finalizer while blocking dependents remain', [child('a')], false],
    ['removes the foreground finalizer once no dependent blocks', [], true],
  ])('%s', (_name, dependents, finalizes) => {
    const rs = replicaSet('rs', 1);
    rs.metadata.deletionTimestamp = iso(T0);
    rs.metadata.finalizers = [FOREGROUND_FINALIZER];
    const r = reconcileGarbage({ owner: rs, ownerUid: 'uid-rs', dependents, ownerExists: () => true });
    expect(r.actions.some((a) => a.type === 'update' && a.object.kind === 'ReplicaSet')).toBe(finalizes);
    expect(r.actions.filter((a) => a.type === 'delete')).toHaveLength(dependents.length);
  });
});

import { describe, expect, it } from 'vitest';
import { reconcileNamespace } from '../../../functions/controllers/namespace.ts';
import type { Namespace } from '../../../shared/api/kinds/namespace.ts';
import { iso, pod, replicaSet, T0 } from './builders.ts';

const terminating: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'uid-ns', deletionTimestamp: iso(T0) }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } };

describe('reconcileNamespace', () => {
  it('deletes everything inside a Terminating namespace and reports what remains', () => {
    const r = reconcileNamespace({ namespace: terminating, contents: [pod({ name: 'a' }), replicaSet('rs', 1)], now: T0 });
    expect(r.actions.filter((a) => a.type === 'delete')).toHaveLength(2);
    expect(r.finalize).toBeUndefined();
    expect(r.status?.conditions?.[0]).toMatchObject({ type: 'NamespaceContentRemaining', status: 'True', message: 'Some resources are remaining: pods has 1 resource instances, replicasets.apps has 1 resource instances' });
  });

  it('finalizes an empty Terminating namespace', () => {
    const r = reconcileNamespace({ namespace: terminating, contents: [], now: T0 });
    expect(r.finalize?.spec?.finalizers).toEqual([]);
  });

  it('leaves an active namespace alone', () => {
    const { deletionTimestamp: _, ...meta } = terminating.metadata;
    expect(reconcileNamespace({ namespace: { ...terminating, metadata: meta }, contents: [pod({ name: 'a' })], now: T0 })).toEqual({ actions: [] });
  });
});

/**
 * Garbage collector (pkg/controller/garbagecollector), as decisions over an owner and its dependents:
 * - an owner that is gone (or whose uid no longer matches): dependents whose every owner is gone are deleted
 *   in the background; those with another live owner only lose the dangling reference;
 * - an owner being deleted with the `foregroundDeletion` finalizer: dependents are deleted (foreground), and
 *   the finalizer is removed once no dependent blocks (blockOwnerDeletion) is left;
 * - an owner being deleted with the `orphan` finalizer: dependents lose their reference to it, then the
 *   finalizer is removed.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import { refOf, type Action, type ReconcileResult } from './types.ts';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface GcInput {
  /** The owner as stored now, or undefined when it no longer exists. */
  owner: KubeObject | undefined;
  /** The uid the dependents refer to (the owner's identity when the key was queued). */
  ownerUid: string;
  /** Objects with an ownerReference to ownerUid. */
  dependents: KubeObject[];
  /** For dependents with several owners: whether another owner (by uid) still exists. */
  ownerExists: (uid: string) => boolean;
}

function withoutOwner(obj: KubeObject, uid: string): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata.ownerReferences = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
  return copy;
}

function withoutFinalizer(obj: KubeObject, finalizer: string): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return copy;
}

export function reconcileGarbage(input: GcInput): ReconcileResult {
  const { owner, ownerUid } = input;
  const actions: Action[] = [];
  const ownerGone = !owner || owner.metadata.uid !== ownerUid;
  if (ownerGone) {
    for (const dep of input.dependents) {
      const others = (dep.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
      if (others.some((r) => input.ownerExists(r.uid))) actions.push({ type: 'update', object: withoutOwner(dep, ownerUid) });
      else if (!dep.metadata.deletionTimestamp) actions.push({ type: 'delete', ref: refOf(dep), preconditionUid: dep.metadata.uid, propagationPolicy: 'Background' });
    }
    return { actions };
  }
  if (!owner.metadata.deletionTimestamp) return { actions };
  const finalizers = owner.metadata.finalizers ?? [];
  if (finalizers.includes(ORPHAN_FINALIZER)) {
    for (const dep of input.dependents) actions.push({ type: 'update', object: withoutOwner(dep, ownerUid) });
    actions.push({ type: 'update', object: withoutFinalizer(owner, ORPHAN_FINALIZER) });
    return { actions };
  }
  if (finalizers.includes(FOREGROUND_FINALIZER)) {
    let blocking = 0;
    for (const dep of input.dependents) {
      const ref = dep.metadata.ownerReferences?.find((r) => r.uid === ownerUid);
      if (ref?.blockOwnerDeletion) blocking += 1;
      // Dependents are deleted in the foreground too, so that grandchildren go first.
      if (!dep.metadata.deletionTimestamp) actions.push({ type: 'delete', ref: refOf(dep), preconditionUid: dep.metadata.uid, propagationPolicy: 'Foreground' });
    }
    if (blocking === 0) actions.push({ type: 'update', object: withoutFinalizer(owner, FOREGROUND_FINALIZER) });
  }
  return { actions };
}

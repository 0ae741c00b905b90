/**
 * ControllerRefManager semantics: an owner claims objects whose labels match its selector and that have no
 * controller (adopt), keeps the ones it controls that still match, and releases the ones it controls that no
 * longer match. Adoption and release are `update` actions on the child's ownerReferences.
 */
import type { OwnerReference, KubeObject } from '../../shared/api/object.ts';
import { labelSelectorFromObject, matchesLabels, type LabelSelectorObject } from '../../shared/labels/label-selector.ts';
import type { Action } from './types.ts';

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata.uid;
}

export function ownerReferenceTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface Claimed<T extends KubeObject> {
  /** Children the owner now controls (including those being adopted). */
  owned: T[];
  actions: Action[];
}

/**
 * Sorts candidates into owned, adopted and released. An owner being deleted adopts nothing (it would only
 * orphan them again), and a child being deleted is neither adopted nor released.
 */
export function claim<T extends KubeObject>(owner: KubeObject, selector: LabelSelectorObject | undefined, candidates: T[]): Claimed<T> {
  const sel = labelSelectorFromObject(selector);
  const owned: T[] = [];
  const actions: Action[] = [];
  for (const child of candidates) {
    const ref = controllerRef(child);
    const matches = matchesLabels(sel, child.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches || child.metadata.deletionTimestamp) owned.push(child);
      else if (!owner.metadata.deletionTimestamp) {
        const released = structuredClone(child);
        released.metadata.ownerReferences = (child.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        actions.push({ type: 'update', object: released });
      }
      continue;
    }
    if (!matches || owner.metadata.deletionTimestamp || child.metadata.deletionTimestamp) continue;
    if (child.metadata.namespace !== owner.metadata.namespace) continue;
    const adopted = structuredClone(child);
    adopted.metadata.ownerReferences = [...(child.metadata.ownerReferences ?? []), ownerReferenceTo(owner)];
    actions.push({ type: 'update', object: adopted });
    owned.push(adopted);
  }
  return { owned, actions };
}

/**
 * ControllerRevision history shared by the DaemonSet and StatefulSet controllers (pkg/controller/history):
 * each distinct pod template is recorded once as a ControllerRevision whose `data` is the strategic-merge patch
 * `kubectl rollout undo` applies to go back to it. Returning to an older template reuses its revision and gives it
 * the next revision number instead of recording a duplicate; old revisions no pod uses are pruned down to
 * `revisionHistoryLimit`.
 */
import type { ControllerRevision } from '../../shared/api/kinds/controllerrevision.ts';
import type { PodTemplateSpec } from '../../shared/api/kinds/pod-spec.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { canonicalJson } from '../../shared/api/validation.ts';
import { podTemplateHash } from './deployment.ts';
import { ownerReferenceTo } from './ownership.ts';
import { refOf, type Action } from './types.ts';

/** Pod (and DaemonSet revision) label naming the revision a pod was made from. */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
/** The label history.NewControllerRevision puts on StatefulSet revisions. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

type PodTemplate = PodTemplateSpec;

/** The revision's data: a patch replacing spec.template, exactly what `kubectl rollout undo` re-applies. */
export function revisionData(template: PodTemplate): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...structuredClone(template), $patch: 'replace' } } };
}

/** The pod template a revision recorded (ApplyRevision), or undefined when the data is not one of ours. */
export function templateOfRevision(rev: ControllerRevision): PodTemplate | undefined {
  const data = rev.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const tpl = data?.spec?.template;
  if (!tpl || typeof tpl !== 'object') return undefined;
  const { $patch: _patch, ...rest } = tpl;
  return rest as PodTemplate;
}

export interface RevisionPlan {
  /** The revision recording the current template, as it will be once `actions` are applied. */
  updateRevision: ControllerRevision;
  /** The hash in its name (`<owner>-<hash>`). */
  hash: string;
  collisionCount: number;
  /** Create the update revision, or bump an older equal revision's number. */
  actions: Action[];
  /** The owner's revisions after `actions`. */
  revisions: ControllerRevision[];
}

export interface RevisionOptions {
  /** Label carrying the hash on the revision itself. */
  hashLabel: string;
  /** DaemonSets copy their annotations (kubernetes.io/change-cause for `rollout history`); StatefulSets do not. */
  copyAnnotations: boolean;
  collisionCount: number;
}

function byRevision(a: ControllerRevision, b: ControllerRevision): number {
  return a.revision !== b.revision ? a.revision - b.revision : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/**
 * Finds or plans the revision for the owner's current template. `owned` are the revisions the owner controls;
 * `all` every revision in the namespace, so that a name taken by someone else's revision counts as a hash
 * collision (the collision count then changes the hash, as in Kubernetes).
 */
export function planRevision(owner: KubeObject, template: PodTemplate, owned: ControllerRevision[], all: ControllerRevision[], o: RevisionOptions): RevisionPlan {
  const data = revisionData(template);
  const json = canonicalJson(data);
  const sorted = [...owned].sort(byRevision);
  const maxRevision = sorted.length ? sorted[sorted.length - 1].revision : 0;
  const equal = sorted.filter((r) => canonicalJson(r.data) === json);
  const prefix = owner.metadata.name ?? '';
  if (equal.length) {
    const found = equal[equal.length - 1];
    const hash = found.metadata.labels?.[o.hashLabel] ?? (found.metadata.name ?? '').slice(prefix.length + 1);
    if (found.revision === maxRevision) return { updateRevision: found, hash, collisionCount: o.collisionCount, actions: [], revisions: sorted };
    // A rollback to an older template: that revision becomes the newest again.
    const bumped: ControllerRevision = { ...structuredClone(found), revision: maxRevision + 1 };
    return {
      updateRevision: bumped,
      hash,
      collisionCount: o.collisionCount,
      actions: [{ type: 'update', object: bumped }],
      revisions: sorted.map((r) => (r === found ? bumped : r)),
    };
  }
  let collisionCount = o.collisionCount;
  const taken = new Set(all.map((r) => r.metadata.name));
  for (const r of owned) taken.add(r.metadata.name);
  let hash = podTemplateHash(template, collisionCount);
  while (taken.has(`${prefix}-${hash}`)) {
    collisionCount += 1;
    hash = podTemplateHash(template, collisionCount);
  }
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${prefix}-${hash}`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [o.hashLabel]: hash },
      ...(o.copyAnnotations && owner.metadata.annotations ? { annotations: { ...owner.metadata.annotations } } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
    },
    data,
    revision: maxRevision + 1,
  };
  return { updateRevision: rev, hash, collisionCount, actions: [{ type: 'create', object: rev }], revisions: [...sorted, rev] };
}

/** Deletes the oldest revisions that are not live (in use by a pod, current or update) beyond `limit`. */
export function pruneRevisions(revisions: ControllerRevision[], live: Set<string>, limit: number): Action[] {
  const dead = revisions.filter((r) => !live.has(r.metadata.name ?? '') && r.metadata.uid).sort(byRevision);
  return dead.slice(0, Math.max(0, dead.length - Math.max(0, limit))).map((r) => ({ type: 'delete', ref: refOf(r), preconditionUid: r.metadata.uid }));
}

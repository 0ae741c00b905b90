/**
 * Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template (named by the
 * pod-template-hash), RollingUpdate within maxSurge/maxUnavailable, Recreate, proportional scaling, revision
 * annotations, history cleanup, pause, progress deadline and the Available/Progressing conditions that
 * `kubectl rollout status` and `kubectl wait` read. Each reconcile takes one step and reports it; the next
 * event (a ReplicaSet's status changing) drives the next step.
 */
import type { Condition } from '../../shared/api/kinds/meta.ts';
import type { Deployment } from '../../shared/api/kinds/deployment.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../shared/api/kinds/replicaset.ts';
import { canonicalJson, intOrPercentValue } from '../../shared/api/validation.ts';
import { claim, ownerReferenceTo } from './ownership.ts';
import { statusChanged } from './replicaset.ts';
import { refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type DeploymentStatus = NonNullable<Deployment['status']>;

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Annotations that belong to the controller or kubectl and are never copied from a Deployment to its ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export interface DeploymentInput {
  deployment: Deployment | undefined;
  /** ReplicaSets in the Deployment's namespace (at least those matching its selector or controlled by it). */
  replicaSets: ReplicaSet[];
  /** Pods in the namespace; only Recreate reads them (it waits until old pods are gone). */
  pods: Pod[];
  now: Date;
}

// ---------------------------------------------------------------------------------------------------------------
// Hashing and template matching

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: digits mapped onto characters that cannot spell words. */
function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

function withoutHashLabel(template: unknown): unknown {
  const copy = structuredClone(template) as { metadata?: { labels?: Record<string, string> } };
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

/** A stable hash of the template (and the collision count), as the pod-template-hash label value. */
export function podTemplateHash(template: Deployment['spec']['template'], collisionCount?: number): string {
  const bytes = new TextEncoder().encode(canonicalJson(withoutHashLabel(template)));
  let h = fnv32a(bytes);
  if (collisionCount !== undefined) {
    const le = new Uint8Array(4);
    new DataView(le.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(le, h);
  }
  return safeEncode(String(h));
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is ignored. */
export function templatesEqualIgnoringHash(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function replicasOf(d: Deployment): number {
  return d.spec.replicas ?? 1;
}

/** ResolveFenceposts: surge rounds up, unavailable rounds down, and both zero means one may be unavailable. */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = intOrPercentValue(maxSurge ?? '25%', desired, true);
  let unavailable = intOrPercentValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const sum = (rss: ReplicaSet[], f: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + f(rs), 0);

/** Pods an old ReplicaSet may still have: its target or, while pods are being created/terminated, what exists. */
function podsHeld(rs: ReplicaSet): number {
  return Math.max(specReplicas(rs), (rs.status?.replicas ?? 0) + (rs.status?.terminatingReplicas ?? 0));
}

export function revisionOf(rs: ReplicaSet): number {
  const v = Number.parseInt(rs.metadata.annotations?.[REVISION] ?? '', 10);
  return Number.isNaN(v) ? 0 : v;
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions

function findCondition(status: DeploymentStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** SetDeploymentCondition: no change for the same status and reason; keep the transition time for the same status. */
function setCondition(status: DeploymentStatus, cond: Condition): void {
  const current = findCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  if (current && current.status === cond.status) cond.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

function condition(type: string, status: string, reason: string, message: string, now: Date): Condition {
  const t = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

// ---------------------------------------------------------------------------------------------------------------
// The reconcile

/** The working state of one reconcile: ReplicaSets as they will be after the actions, and the actions. */
class Work {
  readonly actions: Action[] = [];
  readonly events: EventSpec[] = [];
  private readonly dirty = new Map<string, ReplicaSet>();
  deploymentAnnotationsChanged = false;

  constructor(
    readonly d: Deployment,
    readonly now: Date,
  ) {}

  /** Records that `rs` (a working copy) must be written; written once at the end with all its changes. */
  touch(rs: ReplicaSet): void {
    if (rs.metadata.uid) this.dirty.set(rs.metadata.uid, rs);
  }

  /** scaleReplicaSet: size and the desired/max replicas annotations; true if the size changed. */
  scale(rs: ReplicaSet, to: number): boolean {
    const d = this.d;
    const from = specReplicas(rs);
    const desired = String(replicasOf(d));
    const max = String(replicasOf(d) + maxSurge(d));
    const ann = rs.metadata.annotations ?? {};
    const annotationsChange = ann[DESIRED_REPLICAS] !== desired || ann[MAX_REPLICAS] !== max;
    if (from === to && !annotationsChange) return false;
    rs.spec.replicas = to;
    rs.metadata.annotations = { ...ann, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
    this.touch(rs);
    if (from !== to) {
      this.events.push({
        regarding: refOf(d),
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
      });
    }
    return from !== to;
  }

  flush(): void {
    for (const rs of this.dirty.values()) this.actions.push({ type: 'update', object: rs });
  }
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
function newReplicaSetReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas;
  const newReplicas = newRS ? specReplicas(newRS) : 0;
  const maxTotal = replicas + maxSurge(d);
  // Old ReplicaSets count what they may still hold (terminating pods included), so that the surge is never
  // exceeded by pods that exist, not only by targets.
  const current = sum(allRSs.filter((rs) => rs !== newRS), podsHeld) + newReplicas;
  if (current >= maxTotal) return newReplicas;
  return newReplicas + Math.max(0, Math.min(maxTotal - current, replicas - newReplicas));
}

function copyAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  const ann = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  if (changed) rs.metadata.annotations = ann;
  return changed;
}

/** SetNewReplicaSetAnnotations for an existing new ReplicaSet: it takes the newest revision and remembers its old one. */
function syncNewRevision(d: Deployment, rs: ReplicaSet, newRevision: number): boolean {
  let changed = copyAnnotations(d, rs);
  const old = revisionOf(rs);
  if (old < newRevision) {
    const ann: Record<string, string> = { ...(rs.metadata.annotations ?? {}), [REVISION]: String(newRevision) };
    if (old > 0) ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${old}` : String(old);
    rs.metadata.annotations = ann;
    changed = true;
  }
  return changed;
}

interface Sets {
  newRS: ReplicaSet | undefined;
  /** Old ReplicaSets with replicas (FindOldReplicaSets' required set). */
  oldRSs: ReplicaSet[];
  allOldRSs: ReplicaSet[];
  /** Set when the new ReplicaSet's name is taken by another template; the caller bumps collisionCount. */
  collision?: boolean;
}

function partition(d: Deployment, rss: ReplicaSet[]): Sets {
  const sorted = [...rss].sort(byCreation);
  const newRS = sorted.find((rs) => templatesEqualIgnoringHash(rs.spec.template, d.spec.template));
  const allOldRSs = sorted.filter((rs) => rs !== newRS);
  return { newRS, allOldRSs, oldRSs: allOldRSs.filter((rs) => specReplicas(rs) > 0) };
}

/** getAllReplicaSetsAndSyncRevision (+ getNewReplicaSet): finds or creates the new ReplicaSet and syncs revisions. */
function syncRevision(w: Work, rss: ReplicaSet[], status: DeploymentStatus, create: boolean): Sets {
  const d = w.d;
  const sets = partition(d, rss);
  const maxOld = Math.max(0, ...sets.allOldRSs.map(revisionOf));
  const newRevision = maxOld + 1;
  let revision: string | undefined;
  if (sets.newRS) {
    const rs = sets.newRS;
    let changed = syncNewRevision(d, rs, newRevision);
    if ((rs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
      rs.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      changed = true;
    }
    if (changed) w.touch(rs);
    revision = rs.metadata.annotations?.[REVISION];
    if (!findCondition(status, 'Progressing') && hasProgressDeadline(d)) {
      setCondition(status, condition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`, w.now));
    }
  } else if (create) {
    const hash = podTemplateHash(d.spec.template, status.collisionCount);
    const name = `${d.metadata.name}-${hash}`;
    if (rss.some((rs) => rs.metadata.name === name)) return { ...sets, collision: true };
    const template = structuredClone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
    const allRSs = sets.allOldRSs;
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels: { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
        annotations: {},
        ownerReferences: [ownerReferenceTo(d)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
        template,
      },
    };
    copyAnnotations(d, newRS);
    const replicas = newReplicaSetReplicas(d, allRSs, undefined);
    newRS.spec.replicas = replicas;
    newRS.metadata.annotations = {
      ...newRS.metadata.annotations,
      [REVISION]: String(newRevision),
      [DESIRED_REPLICAS]: String(replicasOf(d)),
      [MAX_REPLICAS]: String(replicasOf(d) + maxSurge(d)),
    };
    w.actions.push({ type: 'create', object: newRS });
    if (replicas > 0) {
      w.events.push({ regarding: refOf(d), type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${name} from 0 to ${replicas}` });
    }
    revision = String(newRevision);
    if (hasProgressDeadline(d)) {
      setCondition(status, condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`, w.now));
    }
    sets.newRS = newRS;
  }
  if (revision !== undefined && d.metadata.annotations?.[REVISION] !== revision) {
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: revision };
    w.deploymentAnnotationsChanged = true;
  }
  return sets;
}

function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

// --- scaling (sync): proportional scaling when replicas change mid-rollout ---------------------------------------

function isScalingEvent(d: Deployment, rss: ReplicaSet[]): boolean {
  return rss.some((rs) => specReplicas(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== String(replicasOf(d)));
}

function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  return (
    rs.metadata.annotations?.[DESIRED_REPLICAS] === String(replicasOf(d)) &&
    specReplicas(rs) === replicasOf(d) &&
    (rs.status?.availableReplicas ?? 0) === replicasOf(d)
  );
}

function replicaSetFraction(d: Deployment, rs: ReplicaSet): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS] ?? '', 10);
  const base = Number.isNaN(annotated) ? (d.status?.replicas ?? 0) : annotated;
  if (base === 0) return 0;
  // integer.RoundToInt32 rounds half away from zero.
  const size = (specReplicas(rs) * deploymentReplicas) / base;
  return Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
}

function scale(w: Work, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
  const d = w.d;
  const replicas = replicasOf(d);
  const all = [...(newRS ? [newRS] : []), ...oldRSs];
  const active = all.filter((rs) => specReplicas(rs) > 0);
  let single: ReplicaSet | undefined;
  if (active.length === 1) single = active[0];
  else if (active.length === 0) single = newRS ?? [...oldRSs].sort(byCreation).at(-1);
  if (active.length <= 1) {
    if (single) w.scale(single, replicas);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of oldRSs) w.scale(rs, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sum(active, specReplicas);
  // Scale-ups go to the biggest (then newest) first, scale-downs take from the biggest (then oldest) first.
  const ordered = [...active].sort((a, b) => {
    if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of ordered) {
    let proportion = 0;
    if (toAdd !== 0 && toAdd !== added && specReplicas(rs) > 0) {
      const fraction = replicaSetFraction(d, rs);
      const allowedLeft = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, allowedLeft) : Math.max(fraction, allowedLeft);
    }
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  if (toAdd !== 0 && ordered.length) {
    const first = ordered[0];
    sizes.set(first, Math.max(0, sizes.get(first)! + (toAdd - added)));
  }
  for (const rs of ordered) w.scale(rs, sizes.get(rs)!);
}

// --- rolling update ----------------------------------------------------------------------------------------------

function reconcileNewReplicaSet(w: Work, allRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
  const replicas = replicasOf(w.d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return w.scale(newRS, replicas);
  return w.scale(newRS, newReplicaSetReplicas(w.d, allRSs, newRS));
}

function reconcileOldReplicaSets(w: Work, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
  const d = w.d;
  if (sum(oldRSs, specReplicas) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sum(allRSs, specReplicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // First drop old pods that are not available anyway: they cost no availability.
  let cleaned = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    w.scale(rs, specReplicas(rs) - down);
    cleaned += down;
  }
  // Then scale down available old pods while the total available stays at or above minAvailable.
  const available = sum(allRSs, (rs) => rs.status?.availableReplicas ?? 0);
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (scaledDown >= total) break;
      if (specReplicas(rs) === 0) continue;
      const down = Math.min(specReplicas(rs), total - scaledDown);
      w.scale(rs, specReplicas(rs) - down);
      scaledDown += down;
    }
  }
  return cleaned + scaledDown > 0;
}

// --- status ----------------------------------------------------------------------------------------------------

function calculateStatus(w: Work, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, base: DeploymentStatus): DeploymentStatus {
  const d = w.d;
  const available = sum(allRSs, (rs) => rs.status?.availableReplicas ?? 0);
  const total = sum(allRSs, specReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sum(allRSs, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(allRSs, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  const terminating = sum(allRSs, (rs) => rs.status?.terminatingReplicas ?? 0);
  if (terminating > 0) status.terminatingReplicas = terminating;
  if (base.collisionCount !== undefined) status.collisionCount = base.collisionCount;
  if (base.conditions?.length) status.conditions = base.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', w.now));
  } else {
    setCondition(status, condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', w.now));
  }
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = findCondition(s, 'Progressing');
  if (!cond || cond.reason === 'NewReplicaSetAvailable') return false;
  if (cond.reason === 'ProgressDeadlineExceeded') return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + d.spec.progressDeadlineSeconds! * 1000 < now.getTime();
}

/** syncRolloutStatus: status plus the Progressing condition, and when to look again for the deadline. */
function rolloutStatus(w: Work, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, base: DeploymentStatus): { status: DeploymentStatus; requeueAfterMs?: number } {
  const d = w.d;
  const status = calculateStatus(w, allRSs, newRS, base);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = findCondition(status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, condition('Progressing', 'True', 'NewReplicaSetAvailable', `${subject} has successfully progressed.`, w.now));
    } else if (deploymentProgressing(d, status)) {
      const cond = condition('Progressing', 'True', 'ReplicaSetUpdated', `${subject} is progressing.`, w.now);
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, 'Progressing');
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, w.now)) {
      setCondition(status, condition('Progressing', 'False', 'ProgressDeadlineExceeded', `${subject} has timed out progressing.`, w.now));
    }
  }
  // requeueStuckDeployment: look again when the deadline would pass.
  let requeueAfterMs: number | undefined;
  const cond = findCondition(status, 'Progressing');
  if (hasProgressDeadline(d) && cond?.status === 'True' && cond.reason !== 'NewReplicaSetAvailable' && !deploymentComplete(d, status)) {
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isNaN(from)) requeueAfterMs = Math.max(0, from + d.spec.progressDeadlineSeconds! * 1000 - w.now.getTime()) + 1000;
  }
  return { status, requeueAfterMs };
}

/** cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
function cleanupHistory(w: Work, allOldRSs: ReplicaSet[]): void {
  const limit = w.d.spec.revisionHistoryLimit;
  if (limit === undefined) return;
  const alive = allOldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return;
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (const rs of byRevision.slice(0, diff)) {
    const idle = specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0);
    if (idle) w.actions.push({ type: 'delete', ref: refOf(rs), preconditionUid: rs.metadata.uid });
  }
}

/** Pause/resume bookkeeping on the Progressing condition (checkPausedConditions). */
function pausedConditions(d: Deployment, status: DeploymentStatus, now: Date): void {
  if (!hasProgressDeadline(d)) return;
  const cond = findCondition(status, 'Progressing');
  if (cond?.reason === 'ProgressDeadlineExceeded') return;
  const pausedNow = cond?.reason === 'DeploymentPaused';
  if (d.spec.paused && !pausedNow) setCondition(status, condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now));
  else if (!d.spec.paused && pausedNow) setCondition(status, condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now));
}

function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], pods: Pod[]): boolean {
  if (sum(oldRSs, (rs) => (rs.status?.replicas ?? 0) + (rs.status?.terminatingReplicas ?? 0)) > 0) return true;
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid).filter((u) => u && u !== newRS?.metadata.uid));
  return pods.some((p) => {
    const owner = p.metadata.ownerReferences?.find((r) => r.controller)?.uid;
    if (!owner || !oldUids.has(owner)) return false;
    const phase = p.status?.phase;
    return p.metadata.deletionTimestamp !== undefined || (phase !== 'Failed' && phase !== 'Succeeded');
  });
}

export function reconcileDeployment(input: DeploymentInput): ReconcileResult<DeploymentStatus> {
  if (!input.deployment) return { actions: [] };
  const d = structuredClone(input.deployment);
  const w = new Work(d, input.now);
  const claimed = claim(d, d.spec.selector, input.replicaSets);
  // Working copies: the scale steps mutate them and the status is computed from them. An adopted ReplicaSet
  // is written once, with its new ownerReference and whatever this reconcile changes on it.
  const rss = claimed.owned.map((rs) => structuredClone(rs));
  for (const a of claimed.actions) {
    const adopted = a.type === 'update' ? rss.find((rs) => rs.metadata.uid === a.object.metadata.uid) : undefined;
    if (adopted) w.touch(adopted);
    else w.actions.push(a);
  }
  const base: DeploymentStatus = structuredClone(d.status ?? {});
  let result: { status: DeploymentStatus; requeueAfterMs?: number };

  if (d.metadata.deletionTimestamp) {
    const { newRS, allOldRSs } = partition(d, rss);
    result = { status: calculateStatus(w, [...allOldRSs, ...(newRS ? [newRS] : [])], newRS, base) };
  } else {
    pausedConditions(d, base, input.now);
    if (d.spec.paused || isScalingEvent(d, rss)) {
      const { newRS, oldRSs, allOldRSs } = syncRevision(w, rss, base, false);
      scale(w, newRS, oldRSs);
      if (d.spec.paused) cleanupHistory(w, allOldRSs);
      result = { status: calculateStatus(w, [...allOldRSs, ...(newRS ? [newRS] : [])], newRS, base) };
    } else if (isRollingUpdate(d)) {
      result = rollingUpdate(w, rss, base);
    } else {
      result = recreate(w, rss, base, input.pods);
    }
  }
  if (w.deploymentAnnotationsChanged) {
    const updated = structuredClone(input.deployment);
    updated.metadata.annotations = d.metadata.annotations;
    w.actions.unshift({ type: 'update', object: updated });
  }
  w.flush();
  return {
    actions: w.actions,
    ...(statusChanged(input.deployment.status, result.status) ? { status: result.status } : {}),
    ...(result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {}),
    ...(w.events.length ? { events: w.events } : {}),
  };
}

function collisionResult(w: Work, base: DeploymentStatus): { status: DeploymentStatus; requeueAfterMs: number } {
  return { status: { ...base, collisionCount: (base.collisionCount ?? 0) + 1 }, requeueAfterMs: 0 };
}

function rollingUpdate(w: Work, rss: ReplicaSet[], base: DeploymentStatus): { status: DeploymentStatus; requeueAfterMs?: number } {
  const sets = syncRevision(w, rss, base, true);
  if (sets.collision) return collisionResult(w, base);
  const newRS = sets.newRS!;
  const allRSs = [...sets.oldRSs, newRS];
  const everyRS = [...sets.allOldRSs, newRS];
  // A ReplicaSet created in this reconcile has no uid yet; it is sized at creation and not scaled again here.
  if (newRS.metadata.uid && reconcileNewReplicaSet(w, allRSs, newRS)) return rolloutStatus(w, everyRS, newRS, base);
  if (newRS.metadata.uid && reconcileOldReplicaSets(w, allRSs, sets.oldRSs, newRS)) return rolloutStatus(w, everyRS, newRS, base);
  const out = rolloutStatus(w, everyRS, newRS, base);
  if (deploymentComplete(w.d, out.status)) cleanupHistory(w, sets.allOldRSs);
  return out;
}

function recreate(w: Work, rss: ReplicaSet[], base: DeploymentStatus, pods: Pod[]): { status: DeploymentStatus; requeueAfterMs?: number } {
  let sets = syncRevision(w, rss, base, false);
  const everyRS = () => [...sets.allOldRSs, ...(sets.newRS ? [sets.newRS] : [])];
  let scaledDown = false;
  for (const rs of sets.oldRSs) scaledDown = w.scale(rs, 0) || scaledDown;
  if (scaledDown || oldPodsRunning(sets.newRS, sets.allOldRSs, pods)) return rolloutStatus(w, everyRS(), sets.newRS, base);
  if (!sets.newRS) {
    sets = syncRevision(w, rss, base, true);
    if (sets.collision) return collisionResult(w, base);
  } else {
    w.scale(sets.newRS, replicasOf(w.d));
  }
  const out = rolloutStatus(w, everyRS(), sets.newRS, base);
  if (deploymentComplete(w.d, out.status)) cleanupHistory(w, sets.allOldRSs);
  return out;
}

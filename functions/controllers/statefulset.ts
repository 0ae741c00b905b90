/**
 * StatefulSet controller (pkg/controller/statefulset): pods `<name>-<ordinal>` with a stable identity (hostname,
 * subdomain of the governing service, pod-name and pod-index labels) and stable storage (one PVC per volume
 * claim template and ordinal, created before the pod and kept when the set scales down unless the retention
 * policy says Delete). OrderedReady creates ordinal i only once 0..i-1 are running and available and removes the
 * highest ordinal first, one at a time; Parallel does both at once. A template change rolls out from the highest
 * ordinal down to `partition`, one pod at a time; revisions are ControllerRevisions named in the status.
 */
import type { ControllerRevision } from '../../shared/api/kinds/controllerrevision.ts';
import type { PersistentVolumeClaim } from '../../shared/api/kinds/persistentvolumeclaim.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { PodTemplateSpec, Volume } from '../../shared/api/kinds/pod-spec.ts';
import type { StatefulSet } from '../../shared/api/kinds/statefulset.ts';
import { CONTROLLER_REVISION_HASH, planRevision, pruneRevisions, REVISION_HASH_LABEL, templateOfRevision } from './history.ts';
import { claim, ownerReferenceTo } from './ownership.ts';
import { isPodAvailable, isPodReady, msUntilAvailable } from './pods.ts';
import { podFromTemplate, statusChanged } from './replicaset.ts';
import { refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type StatefulSetStatus = NonNullable<StatefulSet['status']>;

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface StatefulSetInput {
  /** The StatefulSet, or undefined when it is gone (its pods are the garbage collector's). */
  statefulSet: StatefulSet | undefined;
  /** Pods in the set's namespace (at least those matching its selector or controlled by it). */
  pods: Pod[];
  /** PersistentVolumeClaims in the set's namespace (at least `<template>-<set>-<ordinal>` ones). */
  pvcs: PersistentVolumeClaim[];
  /** ControllerRevisions in the namespace; without them every reconcile would plan a new revision. */
  revisions?: ControllerRevision[];
  now: Date;
}

/** The ordinal in `<set>-<ordinal>`, or undefined when the pod is not a member of the set. */
export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const m = /^(.*)-(\d+)$/.exec(pod.metadata.name ?? '');
  if (!m || m[1] !== set.metadata.name) return undefined;
  return Number.parseInt(m[2], 10);
}

export function statefulPodName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(templateName: string, set: StatefulSet, ordinal: number): string {
  return `${templateName}-${set.metadata.name}-${ordinal}`;
}

function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

/** The claims of one ordinal (getPersistentVolumeClaims): the template, named per ordinal, labelled with the selector. */
export function claimsFor(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const deleteWithSet = set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (set.spec.volumeClaimTemplates ?? []).map((t) => {
    const meta = t.metadata ?? {};
    const templateName = meta.name ?? '';
    const { name: _n, namespace: _ns, ...rest } = structuredClone(meta);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...rest,
        name: claimName(templateName, set, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...(meta.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
        // whenDeleted=Delete: the set owns its claims, so the garbage collector removes them with it.
        ...(deleteWithSet ? { ownerReferences: [{ ...ownerReferenceTo(set), controller: false }] } : {}),
      },
      spec: structuredClone(t.spec ?? {}),
    } as PersistentVolumeClaim;
  });
}

/** Pod volumes with one claim volume per template, replacing template volumes of the same name (updateStorage). */
function storageVolumes(set: StatefulSet, ordinal: number, volumes: Volume[] | undefined): Volume[] | undefined {
  const templates = set.spec.volumeClaimTemplates ?? [];
  if (!templates.length) return volumes;
  const names = new Set(templates.map((t) => t.metadata?.name ?? ''));
  const claimVolumes: Volume[] = templates.map((t) => ({
    name: t.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? '', set, ordinal) },
  }));
  return [...claimVolumes, ...(volumes ?? []).filter((v) => !names.has(v.name))];
}

/** newVersionedStatefulSetPod: the pod of one ordinal made from a revision's template. */
export function statefulPod(set: StatefulSet, template: PodTemplateSpec, revisionName: string, ordinal: number): Pod {
  const name = statefulPodName(set, ordinal);
  const pod = podFromTemplate(set, template, { name });
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH]: revisionName, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) };
  pod.spec.hostname = name;
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  const volumes = storageVolumes(set, ordinal, pod.spec.volumes);
  if (volumes) pod.spec.volumes = volumes;
  return pod;
}

/**
 * identityMatches for what may still change on a pod: the pod-name and pod-index labels (hostname and subdomain
 * are set at creation and a pod's spec is immutable).
 */
function identityFixed(set: StatefulSet, pod: Pod, ordinal: number): Pod | undefined {
  const name = statefulPodName(set, ordinal);
  const labels = pod.metadata.labels ?? {};
  if (labels[POD_NAME_LABEL] === name && labels[POD_INDEX_LABEL] === String(ordinal)) return undefined;
  const fixed = structuredClone(pod);
  fixed.metadata.labels = { ...labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) };
  return fixed;
}

const revisionOf = (p: Pod) => p.metadata.labels?.[CONTROLLER_REVISION_HASH];
const isTerminating = (p: Pod) => Boolean(p.metadata.deletionTimestamp);
const isFinished = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

/** One reconcile's pods: observed ones, plus what it created (no phase yet) and deleted (terminating). */
interface Slot {
  pod: Pod;
  ordinal: number;
  /** Made by this reconcile, so not yet observed. */
  fresh?: boolean;
}

class Work {
  readonly actions: Action[] = [];
  readonly events: EventSpec[] = [];
  requeueAfterMs: number | undefined;

  constructor(
    readonly set: StatefulSet,
    readonly pvcs: Map<string, PersistentVolumeClaim>,
  ) {}

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ regarding: refOf(this.set), type, reason, message });
  }

  /** createPersistentVolumeClaims: the missing claims of an ordinal (existing ones are never touched). */
  ensureClaims(ordinal: number, podName: string): void {
    for (const c of claimsFor(this.set, ordinal)) {
      const name = c.metadata.name ?? '';
      if (this.pvcs.has(name)) continue;
      this.pvcs.set(name, c);
      this.actions.push({ type: 'create', object: c });
      this.event('Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${this.set.metadata.name} success`);
    }
  }

  create(slot: Slot): void {
    this.ensureClaims(slot.ordinal, slot.pod.metadata.name ?? '');
    this.actions.push({ type: 'create', object: slot.pod });
    this.event('Normal', 'SuccessfulCreate', `create Pod ${slot.pod.metadata.name} in StatefulSet ${this.set.metadata.name} successful`);
  }

  delete(slot: Slot, reason?: { type: 'Warning'; reason: string; message: string }): void {
    const p = slot.pod;
    this.actions.push({ type: 'delete', ref: refOf(p), preconditionUid: p.metadata.uid });
    if (reason) this.event(reason.type, reason.reason, reason.message);
    this.event('Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${this.set.metadata.name} successful`);
    slot.pod = { ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(0).toISOString() } };
  }

  /** Running and ready for minReadySeconds; otherwise remembers when to look again. */
  available(p: Pod, minReady: number, now: Date): boolean {
    if (!isRunningAndReady(p)) return false;
    if (isPodAvailable(p, minReady, now)) return true;
    const wait = msUntilAvailable(p, minReady, now);
    if (wait !== undefined) this.requeueAfterMs = Math.min(this.requeueAfterMs ?? wait, wait);
    return false;
  }
}

export function reconcileStatefulSet(input: StatefulSetInput): ReconcileResult<StatefulSetStatus> {
  const set = input.statefulSet;
  if (!set) return { actions: [] };
  const now = input.now;
  const minReady = set.spec.minReadySeconds ?? 0;
  const w = new Work(set, new Map(input.pvcs.map((c) => [c.metadata.name ?? '', c])));

  const claimed = claim(set, set.spec.selector, input.pods.filter((p) => ordinalOf(set, p) !== undefined));
  w.actions.push(...claimed.actions);
  const allRevisions = input.revisions ?? [];
  const claimedRevisions = claim(set, set.spec.selector, allRevisions);
  w.actions.push(...claimedRevisions.actions);
  const plan = planRevision(set, set.spec.template, claimedRevisions.owned, allRevisions, {
    hashLabel: REVISION_HASH_LABEL,
    copyAnnotations: false,
    collisionCount: set.status?.collisionCount ?? 0,
  });
  w.actions.push(...plan.actions);
  const updateRevision = plan.updateRevision;
  const updateName = updateRevision.metadata.name ?? '';
  const currentRevision = plan.revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;
  const currentName = currentRevision.metadata.name ?? '';
  const currentTemplate = templateOfRevision(currentRevision) ?? set.spec.template;

  const replicaCount = set.spec.replicas ?? 1;
  const start = startOrdinal(set);
  const replicas: (Slot | undefined)[] = new Array(replicaCount).fill(undefined);
  const condemned: Slot[] = [];
  for (const pod of claimed.owned) {
    const ordinal = ordinalOf(set, pod)!;
    const index = ordinal - start;
    if (index >= 0 && index < replicaCount) replicas[index] = { pod, ordinal };
    else if (index >= replicaCount || index < 0) condemned.push({ pod, ordinal });
  }
  condemned.sort((a, b) => a.ordinal - b.ordinal);

  const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = rolling ? (set.spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  /** Below the partition new pods keep the current revision, so a partitioned rollout stays partitioned. */
  const newSlot = (index: number): Slot => {
    const ordinal = start + index;
    const useCurrent = rolling && index < partition;
    return { pod: statefulPod(set, useCurrent ? currentTemplate : set.spec.template, useCurrent ? currentName : updateName, ordinal), ordinal, fresh: true };
  };

  if (!set.metadata.deletionTimestamp) {
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const healthy = (s: Slot) => !s.fresh && isRunningAndReady(s.pod) && !isTerminating(s.pod);
    const firstUnhealthy = [...replicas, ...condemned].filter((s): s is Slot => s !== undefined && !healthy(s)).sort((a, b) => a.ordinal - b.ordinal)[0];
    let blocked = false;

    for (let i = 0; i < replicaCount && !blocked; i++) {
      let slot = replicas[i];
      if (slot && isFinished(slot.pod) && !isTerminating(slot.pod)) {
        // A failed (or, with restartPolicy Always, exited) pod is replaced under the same name once it is gone.
        w.delete(slot, { type: 'Warning', reason: 'RecreatingFailedPod', message: `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating failed Pod ${slot.pod.metadata.name}` });
        if (monotonic) blocked = true;
        continue;
      }
      if (!slot) {
        slot = replicas[i] = newSlot(i);
        w.create(slot);
        if (monotonic) blocked = true;
        continue;
      }
      if (isTerminating(slot.pod)) {
        if (monotonic) blocked = true;
        continue;
      }
      if (monotonic && !w.available(slot.pod, minReady, now)) {
        blocked = true;
        continue;
      }
      const fixed = identityFixed(set, slot.pod, slot.ordinal);
      if (fixed) w.actions.push({ type: 'update', object: fixed });
      w.ensureClaims(slot.ordinal, slot.pod.metadata.name ?? '');
    }

    // Scale down from the highest ordinal; in OrderedReady mode only once every remaining pod is healthy.
    for (let t = condemned.length - 1; t >= 0 && !blocked; t--) {
      const slot = condemned[t];
      if (isTerminating(slot.pod)) {
        if (monotonic) blocked = true;
        continue;
      }
      if (monotonic && !isRunningAndReady(slot.pod) && slot !== firstUnhealthy) {
        blocked = true;
        continue;
      }
      w.delete(slot);
      if (monotonic) blocked = true;
    }

    // Rolling update: the highest ordinal not at the update revision is deleted (and recreated by the next
    // reconcile), one at a time, each waiting for the previous to be healthy again.
    if (!blocked && rolling) {
      for (let t = replicaCount - 1; t >= partition; t--) {
        const slot = replicas[t]!;
        if (revisionOf(slot.pod) !== updateName && !isTerminating(slot.pod)) {
          w.delete(slot);
          break;
        }
        if (!healthy(slot)) break;
      }
    }

    // whenScaled=Delete: claims of ordinals past the end go once their pod is gone.
    if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
      const podsByOrdinal = new Set(claimed.owned.map((p) => ordinalOf(set, p)));
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const prefix = `${t.metadata?.name ?? ''}-${set.metadata.name}-`;
        for (const c of input.pvcs) {
          const rest = (c.metadata.name ?? '').slice(prefix.length);
          if (!(c.metadata.name ?? '').startsWith(prefix) || !/^\d+$/.test(rest) || c.metadata.deletionTimestamp) continue;
          const ordinal = Number(rest);
          if (ordinal - start < replicaCount && ordinal >= start) continue;
          if (podsByOrdinal.has(ordinal)) continue;
          w.actions.push({ type: 'delete', ref: refOf(c), preconditionUid: c.metadata.uid });
        }
      }
    }
  }

  // Status of the pods as they are after this reconcile (computeReplicaStatus).
  const slots = [...replicas, ...condemned].filter((s): s is Slot => s !== undefined);
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: currentName,
    updateRevision: updateName,
    collisionCount: plan.collisionCount,
  };
  for (const s of slots) {
    if (s.fresh) continue;
    status.replicas! += 1;
    if (isRunningAndReady(s.pod)) {
      status.readyReplicas! += 1;
      if (isPodAvailable(s.pod, minReady, now)) status.availableReplicas! += 1;
      else {
        const wait = msUntilAvailable(s.pod, minReady, now);
        if (wait !== undefined) w.requeueAfterMs = Math.min(w.requeueAfterMs ?? wait, wait);
      }
    }
    if (!isTerminating(s.pod)) {
      if (revisionOf(s.pod) === currentName) status.currentReplicas! += 1;
      if (revisionOf(s.pod) === updateName) status.updatedReplicas! += 1;
    }
  }
  // completeRollingUpdate: once every pod is updated and ready, the update revision becomes the current one.
  if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentRevision = updateName;
    status.currentReplicas = status.updatedReplicas;
  }
  if (set.status?.conditions?.length) status.conditions = set.status.conditions;

  // History: keep the current and update revisions, those pods still use, and revisionHistoryLimit others.
  const live = new Set<string>([status.currentRevision ?? '', updateName]);
  for (const p of claimed.owned) if (revisionOf(p)) live.add(revisionOf(p)!);
  w.actions.push(...pruneRevisions(plan.revisions, live, set.spec.revisionHistoryLimit ?? 10));

  return {
    actions: w.actions,
    ...(statusChanged(set.status, status) ? { status } : {}),
    ...(w.requeueAfterMs !== undefined ? { requeueAfterMs: w.requeueAfterMs } : {}),
    ...(w.events.length ? { events: w.events } : {}),
  };
}

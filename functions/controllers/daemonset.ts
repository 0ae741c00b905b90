/**
 * DaemonSet controller (pkg/controller/daemon): one pod per node the DaemonSet's pods may run on (the
 * template's nodeName, nodeSelector and required node affinity, the node's NoSchedule/NoExecute taints against
 * the pod's tolerations plus the standard daemon tolerations). Pods are not bound here: each is created with a
 * required node affinity on `metadata.name` so that the scheduler places it on its node. Nodes that appear get a
 * pod, nodes that disappear or stop qualifying lose theirs, and a changed template rolls out within
 * maxUnavailable (or maxSurge). The template is recorded as a ControllerRevision whose hash labels the pods.
 */
import type { ControllerRevision } from '../../shared/api/kinds/controllerrevision.ts';
import type { DaemonSet } from '../../shared/api/kinds/daemonset.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { Toleration } from '../../shared/api/kinds/pod-spec.ts';
import { intOrPercentValue } from '../../shared/api/validation.ts';
import { matchesTerm, type NodeSelectorTerm } from '../scheduler/plugins/node-affinity.ts';
import { toleratesTaint, type Taint } from '../scheduler/plugins/taint-toleration.ts';
import { CONTROLLER_REVISION_HASH, planRevision, pruneRevisions } from './history.ts';
import { claim } from './ownership.ts';
import { isPodAvailable, isPodReady, msUntilAvailable } from './pods.ts';
import { podFromTemplate, statusChanged } from './replicaset.ts';
import { refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type DaemonSetStatus = NonNullable<DaemonSet['status']>;

export interface DaemonSetInput {
  /** The DaemonSet, or undefined when it is gone (its pods are the garbage collector's). */
  daemonSet: DaemonSet | undefined;
  /** All nodes. */
  nodes: Node[];
  /** Pods in the DaemonSet's namespace (at least those matching its selector or controlled by it). */
  pods: Pod[];
  /** ControllerRevisions in the namespace; without them every reconcile would plan a new revision. */
  revisions?: ControllerRevision[];
  now: Date;
}

/** Label with the DaemonSet generation the pod was made from (kept for kubectl parity; the hash decides). */
export const POD_TEMPLATE_GENERATION = 'pod-template-generation';

/**
 * The tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations): it keeps running on a node
 * that is not ready or unreachable, and may land on nodes under pressure or cordoned.
 */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const noSchedule = ['node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable'];
  if (hostNetwork) noSchedule.push('node.kubernetes.io/network-unavailable');
  return [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    ...noSchedule.map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
  ];
}

/** AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value and effect is replaced. */
export function withDaemonTolerations(existing: Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(existing ?? [])];
  const same = (a: Toleration, b: Toleration) =>
    (a.key ?? '') === (b.key ?? '') && (a.operator || 'Equal') === (b.operator || 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
  for (const t of daemonTolerations(hostNetwork)) {
    const i = out.findIndex((o) => same(o, t));
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

type NodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] }; [k: string]: unknown };

function requiredTerms(spec: Pod['spec']): NodeSelectorTerm[] | undefined {
  const na = (spec.affinity as { nodeAffinity?: NodeAffinity } | undefined)?.nodeAffinity;
  return na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
}

export interface NodeDecision {
  /** A daemon pod should be created on the node if it has none. */
  shouldRun: boolean;
  /** An existing daemon pod may stay (only an untolerated NoExecute taint evicts it). */
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod: the node's own taints only; readiness is the scheduler's and node lifecycle's business. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeDecision {
  const spec = ds.spec.template.spec;
  const name = node.metadata.name ?? '';
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== name) return no;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return no;
  const terms = requiredTerms(spec);
  if (terms !== undefined && !terms.some((t) => matchesTerm(t, node))) return no;
  const tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  const untolerated = (node.spec?.taints ?? []).filter(
    (t: Taint) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => toleratesTaint(tol, t)),
  );
  if (untolerated.length === 0) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !untolerated.some((t) => t.effect === 'NoExecute') };
}

/** The node a daemon pod is for: its nodeName once bound, else the metadata.name term it was created with. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  for (const term of requiredTerms(pod.spec) ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become a single metadata.name term (the node
 * already satisfied the template's terms), preferred terms stay.
 */
export function affinityForNode(affinity: Record<string, unknown> | undefined, nodeName: string): Record<string, unknown> {
  const a = structuredClone(affinity ?? {});
  const na = ((a.nodeAffinity as NodeAffinity | undefined) ?? {}) as NodeAffinity;
  na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  a.nodeAffinity = na;
  return a;
}

/** The daemon pod for one node, from the current template. */
export function daemonPodForNode(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const pod = podFromTemplate(ds, ds.spec.template, { generateName: `${ds.metadata.name}-` });
  pod.metadata.labels = {
    ...(pod.metadata.labels ?? {}),
    [CONTROLLER_REVISION_HASH]: hash,
    ...(ds.metadata.generation !== undefined ? { [POD_TEMPLATE_GENERATION]: String(ds.metadata.generation) } : {}),
  };
  pod.spec.tolerations = withDaemonTolerations(pod.spec.tolerations, pod.spec.hostNetwork === true);
  pod.spec.affinity = affinityForNode(pod.spec.affinity, nodeName);
  return pod;
}

function created(p: Pod): number {
  return Date.parse(p.metadata.creationTimestamp ?? '') || 0;
}

/** podByCreationTimestampAndPhase: bound pods first, then oldest first, then by name. */
function oldestFirst(a: Pod, b: Pod): number {
  const bound = (p: Pod) => (p.spec.nodeName ? 0 : 1);
  if (bound(a) !== bound(b)) return bound(a) - bound(b);
  if (created(a) !== created(b)) return created(a) - created(b);
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

const isUpdated = (p: Pod, hash: string) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash;
const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Reconcile-local view: which pods this reconcile already deletes and which nodes it already fills. */
class Work {
  readonly actions: Action[] = [];
  readonly events: EventSpec[] = [];
  readonly deleting = new Set<string>();

  constructor(readonly ds: DaemonSet) {}

  isDeleting(p: Pod): boolean {
    return Boolean(p.metadata.deletionTimestamp) || this.deleting.has(p.metadata.uid ?? p.metadata.name ?? '');
  }

  delete(p: Pod): void {
    const key = p.metadata.uid ?? p.metadata.name ?? '';
    if (this.isDeleting(p)) return;
    this.deleting.add(key);
    this.actions.push({ type: 'delete', ref: refOf(p), preconditionUid: p.metadata.uid });
    this.events.push({ regarding: refOf(this.ds), type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${p.metadata.name}` });
  }

  create(nodeName: string, hash: string): void {
    this.actions.push({ type: 'create', object: daemonPodForNode(this.ds, nodeName, hash) });
  }
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else the node is not in a state to update. */
function podsOnNode(w: Work, pods: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (w.isDeleting(p)) continue;
    if (isUpdated(p, hash)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

function surgeAllowed(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.rollingUpdate;
  const isRolling = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (!isRolling) return { maxSurge: 0, maxUnavailable: 1 };
  const maxSurge = intOrPercentValue(ru?.maxSurge ?? 0, desired, true);
  let maxUnavailable = intOrPercentValue(ru?.maxUnavailable ?? 1, desired, true);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** manage: create missing pods, delete failed/finished/extra ones and those on nodes that no longer qualify. */
function manage(w: Work, nodes: Node[], byNode: Map<string, Pod[]>, hash: string, maxSurge: number, now: Date): void {
  const ds = w.ds;
  const minReady = ds.spec.minReadySeconds ?? 0;
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const pods = byNode.get(name) ?? [];
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    if (shouldRun && pods.length === 0) {
      w.create(name, hash);
      continue;
    }
    if (!shouldContinueRunning) {
      for (const p of pods) w.delete(p);
      continue;
    }
    const running: Pod[] = [];
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') {
        w.events.push({ regarding: refOf(ds), type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to kill it` });
        w.delete(p);
      } else if (p.status?.phase === 'Succeeded') w.delete(p);
      else running.push(p);
    }
    running.sort(oldestFirst);
    if (maxSurge === 0) {
      // One pod per node: the oldest stays.
      for (const p of running.slice(1)) w.delete(p);
      continue;
    }
    // With surge, an old and a new pod may coexist until the new one is available.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const p of running) {
      if (isUpdated(p, hash) && !oldestNew) oldestNew = p;
      else if (!isUpdated(p, hash) && !oldestOld) oldestOld = p;
      else w.delete(p);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) w.delete(oldestOld);
  }
  // Nodes that are gone take their daemon pods with them (Kubernetes leaves bound ones to the pod GC).
  const present = new Set(nodes.map((n) => n.metadata.name));
  for (const [name, pods] of byNode) if (!present.has(name)) for (const p of pods) w.delete(p);
}

/** rollingUpdate: replace old pods within maxUnavailable (delete first) or maxSurge (create first). */
function rollingUpdate(w: Work, nodes: Node[], byNode: Map<string, Pod[]>, hash: string, limits: { maxSurge: number; maxUnavailable: number }, now: Date): void {
  const minReady = w.ds.spec.minReadySeconds ?? 0;
  const eligible = nodes.filter((n) => nodeShouldRunDaemonPod(n, w.ds).shouldContinueRunning).map((n) => n.metadata.name ?? '');
  const withPods = eligible.filter((n) => (byNode.get(n) ?? []).length > 0);
  if (limits.maxSurge === 0) {
    let unavailable = 0;
    const replace: Pod[] = [];
    const candidates: Pod[] = [];
    for (const name of withPods) {
      const { newPod, oldPod, ok } = podsOnNode(w, byNode.get(name) ?? [], hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) unavailable++;
      else if (newPod) {
        if (!isPodAvailable(newPod, minReady, now)) unavailable++;
      } else if (oldPod) {
        if (!isPodAvailable(oldPod, minReady, now)) replace.push(oldPod);
        else if (unavailable < limits.maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, limits.maxUnavailable - unavailable), candidates.length);
    for (const p of [...replace, ...candidates.slice(0, room)]) w.delete(p);
    return;
  }
  let surging = 0;
  const allowed: string[] = [];
  const candidates: string[] = [];
  for (const name of withPods) {
    const { newPod, oldPod, ok } = podsOnNode(w, byNode.get(name) ?? [], hash);
    if (!ok) {
      surging++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!isPodAvailable(oldPod, minReady, now)) allowed.push(name);
      else if (surging < limits.maxSurge) candidates.push(name);
    } else if (!isPodAvailable(newPod, minReady, now)) surging++;
    else w.delete(oldPod);
  }
  const room = Math.min(Math.max(0, limits.maxSurge - surging), candidates.length);
  for (const name of [...allowed, ...candidates.slice(0, room)]) w.create(name, hash);
}

/** updateDaemonSetStatus, from the pods as observed (the oldest pod on each node speaks for it). */
export function computeDaemonSetStatus(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, hash: string, now: Date): DaemonSetStatus {
  const minReady = ds.spec.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  let misscheduled = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = [...(byNode.get(node.metadata.name ?? '') ?? [])].sort(oldestFirst);
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = pods[0];
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isUpdated(pod, hash)) updated++;
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata.generation ?? 0,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions?.length) status.conditions = ds.status.conditions;
  return status;
}

export function reconcileDaemonSet(input: DaemonSetInput): ReconcileResult<DaemonSetStatus> {
  const ds = input.daemonSet;
  if (!ds || ds.metadata.deletionTimestamp) return { actions: [] };
  const now = input.now;
  const w = new Work(ds);
  const claimed = claim(ds, ds.spec.selector, input.pods);
  w.actions.push(...claimed.actions);
  const allRevisions = input.revisions ?? [];
  const claimedRevisions = claim(ds, ds.spec.selector, allRevisions);
  w.actions.push(...claimedRevisions.actions);
  const plan = planRevision(ds, ds.spec.template, claimedRevisions.owned, allRevisions, {
    hashLabel: CONTROLLER_REVISION_HASH,
    copyAnnotations: true,
    collisionCount: ds.status?.collisionCount ?? 0,
  });
  w.actions.push(...plan.actions);
  const hash = plan.hash;

  // Pods by the node they are for; finished pods already being deleted no longer count (getNodesToDaemonPods).
  const byNode = new Map<string, Pod[]>();
  for (const p of claimed.owned) {
    if (isTerminal(p) && p.metadata.deletionTimestamp) continue;
    const node = targetNodeName(p);
    if (node === undefined) continue;
    byNode.set(node, [...(byNode.get(node) ?? []), p]);
  }
  const nodes = [...input.nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  const limits = surgeAllowed(ds, desired);

  const before = w.actions.length;
  manage(w, nodes, byNode, hash, limits.maxSurge, now);
  // Like Kubernetes (rolling only once expectations are satisfied), the update waits for a reconcile in which
  // manage had nothing to do: a pod just created elsewhere is not yet seen as unavailable.
  const managed = w.actions.length > before;
  if (!managed && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') rollingUpdate(w, nodes, byNode, hash, limits, now);

  // History: keep the revisions pods still use, the current one, and revisionHistoryLimit others.
  const live = new Set<string>([plan.updateRevision.metadata.name ?? '']);
  for (const p of claimed.owned) {
    const h = p.metadata.labels?.[CONTROLLER_REVISION_HASH];
    if (h && !w.isDeleting(p)) live.add(`${ds.metadata.name}-${h}`);
  }
  w.actions.push(...pruneRevisions(plan.revisions, live, ds.spec.revisionHistoryLimit ?? 10));

  const status = computeDaemonSetStatus(ds, nodes, byNode, hash, now);
  if (plan.collisionCount !== (ds.status?.collisionCount ?? 0)) status.collisionCount = plan.collisionCount;
  const minReady = ds.spec.minReadySeconds ?? 0;
  const waits = claimed.owned.map((p) => msUntilAvailable(p, minReady, now)).filter((x): x is number => x !== undefined);
  return {
    actions: w.actions,
    ...(statusChanged(ds.status, status) ? { status } : {}),
    ...(waits.length ? { requeueAfterMs: Math.min(...waits) } : {}),
    ...(w.events.length ? { events: w.events } : {}),
  };
}

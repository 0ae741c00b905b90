/** core/v1 Pod: schema, strategy (defaults, validation, update rules) and kubectl's printPod columns. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, column, isZeroTime, nameColumn, ageColumn } from '../table-format.ts';
import { nameValidators } from '../validation.ts';
import { ConditionSchema, defineKind, objectShape, statusSubresource, str, type Json } from './meta.ts';
import { applyPodSpecDefaults, computeQosClass, PodSpecSchema, validatePodSpec, validatePodSpecUpdate } from './pod-spec.ts';

const ContainerStateSchema = z.looseObject({
  waiting: z.looseObject({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.looseObject({ startedAt: z.string().nullable().optional() }).optional(),
  terminated: z
    .looseObject({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().nullable().optional(),
      finishedAt: z.string().nullable().optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});

export const ContainerStatusSchema = z.looseObject({
  name: z.string(),
  state: ContainerStateSchema.optional(),
  lastState: ContainerStateSchema.optional(),
  ready: z.boolean(),
  restartCount: z.number().int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

export const PodStatusSchema = z.looseObject({
  phase: z.string().optional(),
  conditions: z.array(ConditionSchema).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
  startTime: z.string().nullable().optional(),
  initContainerStatuses: z.array(ContainerStatusSchema).optional(),
  containerStatuses: z.array(ContainerStatusSchema).optional(),
  qosClass: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type PodStatus = z.infer<typeof PodStatusSchema>;

export const PodSchema = z.looseObject({
  ...objectShape('v1', 'Pod'),
  spec: PodSpecSchema,
  status: PodStatusSchema.optional(),
});
export type Pod = z.infer<typeof PodSchema>;

/** The node-lifecycle controller's reason for pods on an unreachable node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

function isRestartableInit(c: Json | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function laterTime(a: string | undefined, b: string | null | undefined): string | undefined {
  if (isZeroTime(b)) return a;
  if (!a || Date.parse(b!) > Date.parse(a)) return b!;
  return a;
}

/** printPod's READY, STATUS and RESTARTS cells. */
export function podStatusCells(pod: Json, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs = new Map<string, Json>(((spec.initContainers ?? []) as Json[]).map((c) => [c.name, c]));
  let total = ((spec.containers ?? []) as Json[]).length + [...initSpecs.values()].filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason: string = status.reason || status.phase || '';
  for (const cond of (status.conditions ?? []) as Json[]) {
    if (cond.type === 'PodScheduled' && cond.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = (status.initContainerStatuses ?? []) as Json[];
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount ?? 0;
    lastRestart = laterTime(lastRestart, c.lastState?.terminated?.finishedAt);
    const restartable = isRestartableInit(initSpecs.get(c.name));
    if (restartable) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = laterTime(lastSidecarRestart, c.lastState?.terminated?.finishedAt);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (restartable && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = ((status.conditions ?? []) as Json[]).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = (status.containerStatuses ?? []) as Json[];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      lastRestart = laterTime(lastRestart, c.lastState?.terminated?.finishedAt);
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = ((status.conditions ?? []) as Json[]).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp && status.reason === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  total = Math.max(total, 0);
  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${age(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

function readinessGatesCell(pod: Json): string {
  const gates = (pod.spec?.readinessGates ?? []) as Json[];
  if (gates.length === 0) return '<none>';
  const conditions = (pod.status?.conditions ?? []) as Json[];
  const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${trueCount}/${gates.length}`;
}

function validatePod(obj: Json, old?: Json): FieldError[] {
  const errs = validatePodSpec(obj.spec, 'spec');
  if (old) errs.push(...validatePodSpecUpdate(obj.spec ?? {}, old.spec ?? {}));
  return errs;
}

/**
 * DefaultTolerationSeconds admission (kube-apiserver's --default-not-ready-toleration-seconds and
 * --default-unreachable-toleration-seconds, 300 each): how long a pod stays on a node that stopped reporting.
 * Process-wide, set once at start (`zeroplane up` flags; tests shorten it).
 */
export const defaultTolerationSeconds = { notReady: 300, unreachable: 300 };

/** The admission plugins' additions every real pod carries (ServiceAccount, Priority, DefaultTolerationSeconds). */
function applyAdmissionDefaults(spec: Json): void {
  spec.serviceAccountName ||= 'default';
  spec.serviceAccount ||= spec.serviceAccountName;
  if (!spec.priorityClassName) spec.priority ??= 0;
  spec.preemptionPolicy ||= 'PreemptLowerPriority';
  spec.tolerations ??= [];
  const defaults = [
    ['node.kubernetes.io/not-ready', defaultTolerationSeconds.notReady],
    ['node.kubernetes.io/unreachable', defaultTolerationSeconds.unreachable],
  ] as const;
  for (const [key, tolerationSeconds] of defaults) {
    const tolerated = (spec.tolerations as Json[]).some(
      (t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'),
    );
    if (!tolerated) spec.tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
  }
}

export const pods = defineKind({
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  subresources: [
    { name: 'attach', group: '', version: 'v1', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'binding', group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
    { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    { name: 'exec', group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'log', group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
    { name: 'portforward', group: '', version: 'v1', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    statusSubresource('', 'v1', 'Pod'),
  ],
  schema: PodSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      obj.spec ??= {};
      applyPodSpecDefaults(obj.spec);
      applyAdmissionDefaults(obj.spec);
      obj.status ??= {};
      obj.status.phase ||= 'Pending';
      obj.status.qosClass ||= computeQosClass(obj.spec);
    },
    validate: validatePod,
  },
  table: {
    columns: [
      nameColumn,
      column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'The aggregate status of the containers in this pod.'),
      column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn,
      column('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { wide: true }),
      column('Node', 'NodeName indicates in which node this pod is scheduled.', { wide: true }),
      column('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', { wide: true }),
      column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { wide: true }),
    ],
    cells(obj, now) {
      const pod = obj as Json;
      const { ready, status, restarts } = podStatusCells(pod, now);
      const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
      return [
        pod.metadata.name,
        ready,
        status,
        restarts,
        age(pod.metadata.creationTimestamp, now),
        ip,
        pod.spec?.nodeName || '<none>',
        pod.status?.nominatedNodeName || '<none>',
        readinessGatesCell(pod),
      ];
    },
  },
  selectableFields: (pod) => ({
    'spec.nodeName': str(pod.spec?.nodeName),
    'spec.restartPolicy': str(pod.spec?.restartPolicy),
    'spec.schedulerName': str(pod.spec?.schedulerName),
    'spec.serviceAccountName': str(pod.spec?.serviceAccountName),
    'spec.hostNetwork': String(pod.spec?.hostNetwork === true),
    'status.phase': str(pod.status?.phase),
    'status.podIP': str(pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP),
    'status.nominatedNodeName': str(pod.status?.nominatedNodeName),
  }),
});

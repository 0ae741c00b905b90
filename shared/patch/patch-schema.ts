/**
 * How the built-in kinds' lists and maps merge, as data. It mirrors the `patchStrategy`/`patchMergeKey` struct tags
 * (strategic merge patch) and the `+listType`/`+listMapKey` markers (server-side apply) of k8s.io/api, for the
 * fields kubectl, helm and controllers actually touch. A field absent from these tables is a plain map (merged
 * recursively) or an atomic list (replaced whole), which is also what Kubernetes does for untagged fields.
 */

export interface FieldRule {
  /** The struct type of the value (for lists: of each element), a key of `types`. */
  type?: string;
  /** `merge`: a list of maps merged by `mergeKey` (or of primitives merged as a set when no key). */
  list?: 'merge';
  /** Strategic merge patch key (`patchMergeKey`). */
  mergeKey?: string;
  /** Server-side apply keys (`+listMapKey`), when they differ from `[mergeKey]`; with defaults applied by the
   *  apiserver, so an applied item without them still finds its live twin. */
  applyKeys?: string[];
  keyDefaults?: Record<string, unknown>;
  /** `patchStrategy:"retainKeys"`: a `$retainKeys` directive may prune sibling keys. */
  retainKeys?: boolean;
  /** A `map[string]…` (labels, data, limits): in managedFields it carries its own `.` entry. */
  map?: boolean;
  /** `+structType=atomic` (label selectors): server-side apply owns and replaces it whole. Strategic merge patch
   *  ignores this, as Kubernetes does. */
  atomic?: boolean;
}

export type TypeRules = Record<string, FieldRule>;

const byName: FieldRule = { list: 'merge', mergeKey: 'name' };
const conditionsByType: FieldRule = { list: 'merge', mergeKey: 'type' };
const map: FieldRule = { map: true };

export const types: Record<string, TypeRules> = {
  ObjectMeta: {
    labels: map,
    annotations: map,
    finalizers: { list: 'merge' },
    ownerReferences: { list: 'merge', mergeKey: 'uid' },
  },
  PodTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' } },
  PodSpec: {
    containers: { ...byName, type: 'Container' },
    initContainers: { ...byName, type: 'Container' },
    ephemeralContainers: { ...byName, type: 'Container' },
    volumes: { ...byName, retainKeys: true },
    imagePullSecrets: byName,
    hostAliases: { list: 'merge', mergeKey: 'ip' },
    topologySpreadConstraints: { list: 'merge', mergeKey: 'topologyKey', applyKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: byName,
    resourceClaims: { ...byName, retainKeys: true },
    nodeSelector: map,
    overhead: map,
  },
  Container: {
    ports: { list: 'merge', mergeKey: 'containerPort', applyKeys: ['containerPort', 'protocol'], keyDefaults: { protocol: 'TCP' } },
    env: byName,
    volumeMounts: { list: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { list: 'merge', mergeKey: 'devicePath' },
    resources: { type: 'ResourceRequirements' },
  },
  ResourceRequirements: { limits: map, requests: map },
  PodStatus: {
    conditions: conditionsByType,
    podIPs: { list: 'merge', mergeKey: 'ip' },
    hostIPs: { list: 'merge', mergeKey: 'ip' },
    resourceClaimStatuses: byName,
  },
  ConditionsStatus: { conditions: conditionsByType },
  DeploymentSpec: { template: { type: 'PodTemplateSpec' }, strategy: { retainKeys: true }, selector: { type: 'LabelSelector', atomic: true } },
  StatefulSetSpec: { template: { type: 'PodTemplateSpec' }, selector: { type: 'LabelSelector', atomic: true } },
  DaemonSetSpec: { template: { type: 'PodTemplateSpec' }, selector: { type: 'LabelSelector', atomic: true } },
  ReplicaSetSpec: { template: { type: 'PodTemplateSpec' }, selector: { type: 'LabelSelector', atomic: true } },
  ReplicationControllerSpec: { template: { type: 'PodTemplateSpec' }, selector: map },
  LabelSelector: { matchLabels: map },
  JobSpec: { template: { type: 'PodTemplateSpec' }, selector: { type: 'LabelSelector', atomic: true } },
  JobTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'JobSpec' } },
  CronJobSpec: { jobTemplate: { type: 'JobTemplateSpec' } },
  ServiceSpec: {
    ports: { list: 'merge', mergeKey: 'port', applyKeys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } },
    selector: map,
  },
  NodeSpec: { podCIDRs: { list: 'merge' } },
  NodeStatus: { conditions: conditionsByType, addresses: { list: 'merge', mergeKey: 'type' }, capacity: map, allocatable: map },
  ServiceAccountRoot: { secrets: byName },
  DataRoot: { data: map, binaryData: map, stringData: map },
};

/** The root type of each kind: its top-level fields. `metadata` is added for every kind. */
const roots: Record<string, TypeRules> = {
  'Pod': { spec: { type: 'PodSpec' }, status: { type: 'PodStatus' } },
  'PodTemplate': { template: { type: 'PodTemplateSpec' } },
  'apps/Deployment': { spec: { type: 'DeploymentSpec' }, status: { type: 'ConditionsStatus' } },
  'apps/StatefulSet': { spec: { type: 'StatefulSetSpec' }, status: { type: 'ConditionsStatus' } },
  'apps/DaemonSet': { spec: { type: 'DaemonSetSpec' }, status: { type: 'ConditionsStatus' } },
  'apps/ReplicaSet': { spec: { type: 'ReplicaSetSpec' }, status: { type: 'ConditionsStatus' } },
  'ReplicationController': { spec: { type: 'ReplicationControllerSpec' }, status: { type: 'ConditionsStatus' } },
  'batch/Job': { spec: { type: 'JobSpec' }, status: { type: 'ConditionsStatus' } },
  'batch/CronJob': { spec: { type: 'CronJobSpec' } },
  'Service': { spec: { type: 'ServiceSpec' }, status: { type: 'ConditionsStatus' } },
  'Node': { spec: { type: 'NodeSpec' }, status: { type: 'NodeStatus' } },
  'ServiceAccount': types.ServiceAccountRoot,
  'ConfigMap': types.DataRoot,
  'Secret': types.DataRoot,
};

export interface GroupKind {
  group: string;
  kind: string;
}

/** The top-level rules for a kind. Unknown kinds get `metadata` and condition lists, like most Kubernetes types. */
export function rootRules(gk: GroupKind): TypeRules {
  const key = gk.group ? `${gk.group}/${gk.kind}` : gk.kind;
  return { status: { type: 'ConditionsStatus' }, ...(roots[key] ?? {}), metadata: { type: 'ObjectMeta' } };
}

export function rulesOf(type: string | undefined): TypeRules {
  return (type && types[type]) || {};
}

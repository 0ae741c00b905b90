/**
 * PodSpec and PodTemplateSpec: schema, defaulting (pkg/apis/core/v1/defaults.go) and validation
 * (pkg/apis/core/validation), shared by Pods and every workload's pod template.
 */
import { z } from 'zod';
import { ObjectMetaSchema } from '../object.ts';
import type { FieldError } from '../resource-type.ts';
import {
  canonicalJson,
  fieldErrors,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
  parseQuantity,
  validateLabels,
  validateResourceQuantity,
  PORT_RANGE_ERROR,
} from '../validation.ts';
import { IntOrStringSchema, QuantitySchema, StringMapSchema, type Json } from './meta.ts';

// ---------------------------------------------------------------------------------------------------------------
// Schema

export const ContainerPortSchema = z.looseObject({
  name: z.string().optional(),
  containerPort: z.number().int(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
  protocol: z.string().optional(),
});

export const EnvVarSchema = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.looseObject({}).optional(),
});

export const ResourceRequirementsSchema = z.looseObject({
  limits: z.record(z.string(), QuantitySchema).optional(),
  requests: z.record(z.string(), QuantitySchema).optional(),
});

export const ProbeSchema = z.looseObject({
  exec: z.looseObject({ command: z.array(z.string()).optional() }).optional(),
  httpGet: z
    .looseObject({ path: z.string().optional(), port: IntOrStringSchema, host: z.string().optional(), scheme: z.string().optional() })
    .optional(),
  tcpSocket: z.looseObject({ port: IntOrStringSchema, host: z.string().optional() }).optional(),
  grpc: z.looseObject({ port: z.number().int(), service: z.string().optional() }).optional(),
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
});
export type Probe = z.infer<typeof ProbeSchema>;

export const VolumeMountSchema = z.looseObject({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
});

export const ContainerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z.array(ContainerPortSchema).optional(),
  env: z.array(EnvVarSchema).optional(),
  envFrom: z.array(z.looseObject({})).optional(),
  resources: ResourceRequirementsSchema.optional(),
  volumeMounts: z.array(VolumeMountSchema).optional(),
  livenessProbe: ProbeSchema.optional(),
  readinessProbe: ProbeSchema.optional(),
  startupProbe: ProbeSchema.optional(),
  lifecycle: z.looseObject({}).optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.string().optional(),
  imagePullPolicy: z.string().optional(),
  securityContext: z.looseObject({}).optional(),
  restartPolicy: z.string().optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});
export type Container = z.infer<typeof ContainerSchema>;

export const VolumeSchema = z.looseObject({
  name: z.string(),
  emptyDir: z.looseObject({}).optional(),
  hostPath: z.looseObject({ path: z.string(), type: z.string().optional() }).optional(),
  configMap: z.looseObject({ name: z.string().optional(), defaultMode: z.number().int().optional() }).optional(),
  secret: z.looseObject({ secretName: z.string().optional(), defaultMode: z.number().int().optional() }).optional(),
  persistentVolumeClaim: z.looseObject({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
  projected: z.looseObject({ defaultMode: z.number().int().optional() }).optional(),
  downwardAPI: z.looseObject({ defaultMode: z.number().int().optional() }).optional(),
});
export type Volume = z.infer<typeof VolumeSchema>;

export const TolerationSchema = z.looseObject({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
  tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof TolerationSchema>;

export const PodSpecSchema = z.looseObject({
  containers: z.array(ContainerSchema),
  initContainers: z.array(ContainerSchema).optional(),
  volumes: z.array(VolumeSchema).optional(),
  restartPolicy: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  dnsPolicy: z.string().optional(),
  nodeSelector: StringMapSchema.optional(),
  serviceAccountName: z.string().optional(),
  serviceAccount: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  securityContext: z.looseObject({}).optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  affinity: z.looseObject({}).optional(),
  schedulerName: z.string().optional(),
  tolerations: z.array(TolerationSchema).optional(),
  priorityClassName: z.string().optional(),
  priority: z.number().int().optional(),
  preemptionPolicy: z.string().optional(),
  readinessGates: z.array(z.looseObject({ conditionType: z.string() })).optional(),
  enableServiceLinks: z.boolean().optional(),
  schedulingGates: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type PodSpec = z.infer<typeof PodSpecSchema>;

export const PodTemplateSpecSchema = z.looseObject({
  metadata: ObjectMetaSchema.optional(),
  spec: PodSpecSchema,
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpecSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Defaulting

/**
 * The tag part of an image reference. No tag and no digest means `latest`; a registry port (`host:5000/app`)
 * is not a tag; `app@sha256:…` has no tag at all.
 */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const ref = hasDigest ? image.slice(0, at) : image;
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  if (colon >= 0) return lastPart.slice(colon + 1);
  return hasDigest ? '' : 'latest';
}

/** SetDefaults_Container's pull policy: `Always` for `:latest` (or no tag), `IfNotPresent` otherwise. */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (!image) return 'IfNotPresent';
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Json | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) {
    probe.httpGet.path ||= '/';
    probe.httpGet.scheme ||= 'HTTP';
  }
}

function defaultContainer(c: Json, hostNetwork: boolean): void {
  c.imagePullPolicy ||= defaultImagePullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  // Go serializes the non-pointer ResourceRequirements struct as `{}`; clients expect to see it.
  c.resources ??= {};
  // SetDefaults_Pod: requests default to limits when only limits are set.
  if (c.resources.limits) {
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(c.resources.limits as Record<string, unknown>)) c.resources.requests[k] ??= v;
  }
  for (const p of (c.ports ?? []) as Json[]) {
    p.protocol ||= 'TCP';
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of (c.env ?? []) as Json[]) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ||= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

function defaultVolume(v: Json): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined)) v.emptyDir = {};
  if (v.hostPath) v.hostPath.type ??= '';
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) if (v[s]) v[s].defaultMode ??= 420;
}

/** SetDefaults_PodSpec plus the per-container/volume/port defaults, in place. */
export function applyPodSpecDefaults(spec: Json | undefined): void {
  if (!spec) return;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccount && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of (spec.initContainers ?? []) as Json[]) defaultContainer(c, hostNetwork);
  for (const c of (spec.containers ?? []) as Json[]) defaultContainer(c, hostNetwork);
  for (const v of (spec.volumes ?? []) as Json[]) defaultVolume(v);
}

export function applyPodTemplateDefaults(template: Json | undefined): void {
  if (!template) return;
  applyPodSpecDefaults(template.spec);
}

// ---------------------------------------------------------------------------------------------------------------
// QoS

/** The pod's QoS class from its (defaulted) requests and limits (pkg/apis/core/helper/qos). */
export function computeQosClass(spec: Json | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...((spec?.containers ?? []) as Json[]), ...((spec?.initContainers ?? []) as Json[])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
    const lim = (c.resources?.limits ?? {}) as Record<string, unknown>;
    for (const r of ['cpu', 'memory']) {
      const rq = req[r] !== undefined ? parseQuantity(req[r] as string) : undefined;
      const lm = lim[r] !== undefined ? parseQuantity(lim[r] as string) : undefined;
      if ((rq ?? 0) > 0 || (lm ?? 0) > 0) anySet = true;
      if (lm === undefined || lm === 0 || (rq !== undefined && rq !== lm)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validateProbe(probe: Json | undefined, path: string): FieldError[] {
  if (!probe) return [];
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) errs.push(fieldErrors.required(path, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(fieldErrors.forbidden(`${path}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof probe[k] === 'number' && probe[k] < 0) errs.push(fieldErrors.invalid(`${path}.${k}`, probe[k], 'must be greater than or equal to 0'));
  }
  for (const h of ['httpGet', 'tcpSocket']) {
    const port = probe[h]?.port;
    if (typeof port === 'number') for (const m of isValidPortNum(port)) errs.push(fieldErrors.invalid(`${path}.${h}.port`, port, m));
    if (typeof port === 'string') for (const m of isValidPortName(port)) errs.push(fieldErrors.invalid(`${path}.${h}.port`, port, m));
  }
  return errs;
}

function validateResources(res: Json | undefined, path: string): FieldError[] {
  if (!res) return [];
  const errs: FieldError[] = [];
  for (const kind of ['limits', 'requests']) {
    for (const [name, q] of Object.entries((res[kind] ?? {}) as Record<string, unknown>)) {
      errs.push(...validateResourceQuantity(q, `${path}.${kind}[${name}]`));
    }
  }
  for (const [name, q] of Object.entries((res.requests ?? {}) as Record<string, string | number>)) {
    const limit = res.limits?.[name] as string | number | undefined;
    if (limit === undefined) continue;
    const rq = parseQuantity(q);
    const lm = parseQuantity(limit);
    if (rq !== undefined && lm !== undefined && rq > lm) {
      errs.push(fieldErrors.invalid(`${path}.requests`, String(q), `must be less than or equal to ${name} limit of ${String(limit)}`));
    }
  }
  return errs;
}

function validateContainers(list: Json[], path: string, volumeNames: Set<string>, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c.name) errs.push(fieldErrors.required(`${p}.name`));
    else {
      for (const m of isDNS1123Label(c.name)) errs.push(fieldErrors.invalid(`${p}.name`, c.name, m));
      if (seen.has(c.name)) errs.push(fieldErrors.duplicate(`${p}.name`, c.name));
      seen.add(c.name);
    }
    if (!c.image) errs.push(fieldErrors.required(`${p}.image`));
    if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(fieldErrors.notSupported(`${p}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
    if (c.terminationMessagePolicy && !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
      errs.push(fieldErrors.notSupported(`${p}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
    }
    const portNames = new Set<string>();
    ((c.ports ?? []) as Json[]).forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (port.name) {
        for (const m of isValidPortName(port.name)) errs.push(fieldErrors.invalid(`${pp}.name`, port.name, m));
        if (portNames.has(port.name)) errs.push(fieldErrors.duplicate(`${pp}.name`, port.name));
        portNames.add(port.name);
      }
      if (port.containerPort === undefined || port.containerPort === 0) errs.push(fieldErrors.required(`${pp}.containerPort`));
      else for (const m of isValidPortNum(port.containerPort)) errs.push(fieldErrors.invalid(`${pp}.containerPort`, port.containerPort, m));
      if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(fieldErrors.invalid(`${pp}.hostPort`, port.hostPort, m));
      if (!port.protocol) errs.push(fieldErrors.required(`${pp}.protocol`));
      else if (!PROTOCOLS.includes(port.protocol)) errs.push(fieldErrors.notSupported(`${pp}.protocol`, port.protocol, PROTOCOLS));
    });
    ((c.env ?? []) as Json[]).forEach((e, j) => {
      const ep = `${p}.env[${j}]`;
      if (!e.name) errs.push(fieldErrors.required(`${ep}.name`));
      else for (const m of isEnvVarName(e.name)) errs.push(fieldErrors.invalid(`${ep}.name`, e.name, m));
    });
    errs.push(...validateResources(c.resources, `${p}.resources`));
    const mountPaths = new Set<string>();
    ((c.volumeMounts ?? []) as Json[]).forEach((vm, j) => {
      const vp = `${p}.volumeMounts[${j}]`;
      if (!vm.name) errs.push(fieldErrors.required(`${vp}.name`));
      else if (!volumeNames.has(vm.name)) errs.push(fieldErrors.notFound(`${vp}.name`, vm.name));
      if (!vm.mountPath) errs.push(fieldErrors.required(`${vp}.mountPath`));
      else {
        if (mountPaths.has(vm.mountPath)) errs.push(fieldErrors.invalid(`${vp}.mountPath`, vm.mountPath, 'must be unique'));
        mountPaths.add(vm.mountPath);
      }
    });
    errs.push(...validateProbe(c.livenessProbe, `${p}.livenessProbe`));
    errs.push(...validateProbe(c.readinessProbe, `${p}.readinessProbe`));
    errs.push(...validateProbe(c.startupProbe, `${p}.startupProbe`));
  });
  return errs;
}

export interface PodSpecRules {
  /** Allowed restart policies (workload templates narrow this: Deployments only `Always`). */
  restartPolicies?: string[];
}

export function validatePodSpec(spec: Json | undefined, path: string, rules: PodSpecRules = {}): FieldError[] {
  if (!spec) return [fieldErrors.required(path)];
  const errs: FieldError[] = [];
  const volumeNames = new Set<string>();
  ((spec.volumes ?? []) as Json[]).forEach((v, i) => {
    const p = `${path}.volumes[${i}]`;
    if (!v.name) errs.push(fieldErrors.required(`${p}.name`));
    else {
      for (const m of isDNS1123Label(v.name)) errs.push(fieldErrors.invalid(`${p}.name`, v.name, m));
      if (volumeNames.has(v.name)) errs.push(fieldErrors.duplicate(`${p}.name`, v.name));
      volumeNames.add(v.name);
    }
  });
  const containers = (spec.containers ?? []) as Json[];
  if (containers.length === 0) errs.push(fieldErrors.required(`${path}.containers`));
  const seen = new Set<string>();
  errs.push(...validateContainers((spec.initContainers ?? []) as Json[], `${path}.initContainers`, volumeNames, seen));
  errs.push(...validateContainers(containers, `${path}.containers`, volumeNames, seen));

  const restartPolicies = rules.restartPolicies ?? RESTART_POLICIES;
  if (!spec.restartPolicy) errs.push(fieldErrors.required(`${path}.restartPolicy`));
  else if (!restartPolicies.includes(spec.restartPolicy)) errs.push(fieldErrors.notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  if (spec.dnsPolicy && !DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(fieldErrors.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    errs.push(fieldErrors.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    errs.push(fieldErrors.invalid(`${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  if (spec.serviceAccountName) {
    for (const m of isDNS1123Subdomain(spec.serviceAccountName)) errs.push(fieldErrors.invalid(`${path}.serviceAccountName`, spec.serviceAccountName, m));
  }
  if (spec.nodeName) for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(fieldErrors.invalid(`${path}.nodeName`, spec.nodeName, m));
  if (spec.hostname) for (const m of isDNS1123Label(spec.hostname)) errs.push(fieldErrors.invalid(`${path}.hostname`, spec.hostname, m));
  if (spec.subdomain) for (const m of isDNS1123Label(spec.subdomain)) errs.push(fieldErrors.invalid(`${path}.subdomain`, spec.subdomain, m));
  ((spec.tolerations ?? []) as Json[]).forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`;
    if (t.operator && !['Exists', 'Equal'].includes(t.operator)) errs.push(fieldErrors.notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    if (t.operator === 'Exists' && t.value) errs.push(fieldErrors.invalid(`${p}.operator`, t.value, 'value must be empty when `operator` is \'Exists\''));
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(fieldErrors.notSupported(`${p}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return errs;
}

export function validatePodTemplate(template: Json | undefined, path: string, rules: PodSpecRules = {}): FieldError[] {
  if (!template) return [fieldErrors.required(path)];
  const errs = validateLabels(template.metadata?.labels, `${path}.metadata.labels`);
  errs.push(...validatePodSpec(template.spec, `${path}.spec`, rules));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod update rules

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodSpecUpdate's core rule: only images, activeDeadlineSeconds, tolerations (additions), scheduling gates
 * (removals) and, once, nodeName (the binding) may change.
 */
export function validatePodSpecUpdate(spec: Json, old: Json): FieldError[] {
  const errs: FieldError[] = [];
  if (old.activeDeadlineSeconds !== undefined) {
    if (spec.activeDeadlineSeconds === undefined) errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (spec.activeDeadlineSeconds > old.activeDeadlineSeconds) {
      errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be less than or equal to previous value'));
    }
  }
  const oldTolerations = (old.tolerations ?? []) as Json[];
  const newTolerations = (spec.tolerations ?? []) as Json[];
  const keep = new Set(newTolerations.map((t) => canonicalJson(t)));
  if (oldTolerations.some((t) => !keep.has(canonicalJson(t)))) {
    errs.push(fieldErrors.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  }
  const mutable = (s: Json, images: Json): Json => {
    const copy = structuredClone(s);
    (copy.containers ?? []).forEach((c: Json, i: number) => (c.image = images.containers?.[i]?.image));
    (copy.initContainers ?? []).forEach((c: Json, i: number) => (c.image = images.initContainers?.[i]?.image));
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.schedulingGates;
    if (typeof old.terminationGracePeriodSeconds === 'number' && old.terminationGracePeriodSeconds < 0) delete copy.terminationGracePeriodSeconds;
    return copy;
  };
  const a = mutable(spec, old);
  const b = mutable(old, old);
  // The binding (pods/binding, the scheduler) sets nodeName once; any later change is forbidden.
  if (!old.nodeName && spec.nodeName) b.nodeName = spec.nodeName;
  if (canonicalJson(a) !== canonicalJson(b)) errs.push(fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errs;
}

/** Pod templates' and pods' "does the selector match the template labels" check. */
export function templateLabelsMismatch(path: string, labels: Record<string, string> | undefined): FieldError {
  return fieldErrors.invalid(path, labels ?? {}, '`selector` does not match template `labels`');
}

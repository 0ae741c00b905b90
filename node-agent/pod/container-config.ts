/**
 * What a container is started with, from the pod spec and the objects it references (pure): the environment
 * (envFrom, env with ConfigMap/Secret keys, fieldRef and resourceFieldRef, `$(VAR)` expansion as the kubelet
 * does it), command/args with the same expansion, and CPU/memory as Docker limits. A reference that cannot be
 * resolved is a CreateContainerConfigError with the kubelet's message.
 */
import type { ConfigMap } from '../../shared/api/kinds/configmap.ts';
import type { Container } from '../../shared/api/kinds/pod-spec.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { Secret } from '../../shared/api/kinds/secret.ts';
import { integerValue, milliValue } from '../../shared/api/quantity.ts';

export interface EnvObjects {
  /** By name, in the pod's namespace; undefined when the object does not exist. */
  configMaps: Map<string, ConfigMap | undefined>;
  secrets: Map<string, Secret | undefined>;
}

export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
  nodeName: string;
}

export type EnvResult = { ok: true; env: Array<{ name: string; value: string }> } | { ok: false; reason: 'CreateContainerConfigError'; message: string };

interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}

interface SourceRef {
  name?: string;
  optional?: boolean;
}

/** The ConfigMaps and Secrets a container's environment names (to fetch before building it). */
export function envReferences(container: Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    const cm = (from as { configMapRef?: SourceRef }).configMapRef;
    const s = (from as { secretRef?: SourceRef }).secretRef;
    if (cm?.name) configMaps.add(cm.name);
    if (s?.name) secrets.add(s.name);
  }
  for (const e of container.env ?? []) {
    const vf = e.valueFrom as { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } | undefined;
    if (vf?.configMapKeyRef?.name) configMaps.add(vf.configMapKeyRef.name);
    if (vf?.secretKeyRef?.name) secrets.add(vf.secretKeyRef.name);
  }
  return { configMaps, secrets };
}

function secretData(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `$(VAR)` → its value when defined; `$$` → `$`; unknown references stay as written (Kubernetes' expansion). */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : match;
  });
}

function fieldRefValue(pod: Pod, path: string, facts: PodRuntimeFacts): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    default:
      return undefined;
  }
}

function resourceFieldValue(container: Container, ref: { resource?: string; divisor?: string | number }): string {
  const [kind, name] = (ref.resource ?? '').split('.') as ['limits' | 'requests', string];
  const q = container.resources?.[kind]?.[name];
  if (name === 'cpu') {
    const divisorMilli = milliValue(ref.divisor ?? '1') || 1000;
    return String(Math.ceil((milliValue(q) ?? 0) / divisorMilli));
  }
  const divisor = integerValue(ref.divisor ?? '1') || 1;
  return String(Math.ceil((integerValue(q) ?? 0) / divisor));
}

/** The container's environment, in Kubernetes' order: envFrom sources, then env (later names win). */
export function containerEnv(pod: Pod, container: Container, objects: EnvObjects, facts: PodRuntimeFacts): EnvResult {
  const ns = pod.metadata.namespace ?? '';
  const vars = new Map<string, string>();
  const fail = (message: string): EnvResult => ({ ok: false, reason: 'CreateContainerConfigError', message });
  for (const from of container.envFrom ?? []) {
    const prefix = (from as { prefix?: string }).prefix ?? '';
    const cmRef = (from as { configMapRef?: SourceRef }).configMapRef;
    const sRef = (from as { secretRef?: SourceRef }).secretRef;
    let data: Record<string, string> = {};
    if (cmRef) {
      const cm = objects.configMaps.get(cmRef.name ?? '');
      if (!cm) {
        if (cmRef.optional) continue;
        return fail(`configmap "${cmRef.name ?? ''}" not found`);
      }
      data = { ...(cm.data ?? {}) };
    } else if (sRef) {
      const s = objects.secrets.get(sRef.name ?? '');
      if (!s) {
        if (sRef.optional) continue;
        return fail(`secret "${sRef.name ?? ''}" not found`);
      }
      data = secretData(s);
    }
    for (const [k, v] of Object.entries(data)) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, v);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      vars.set(e.name, expandVars(e.value ?? '', vars));
      continue;
    }
    const vf = e.valueFrom as { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef; fieldRef?: { fieldPath?: string }; resourceFieldRef?: { resource?: string; divisor?: string | number } };
    if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = objects.configMaps.get(ref.name ?? '');
      if (!cm) {
        if (ref.optional) continue;
        return fail(`configmap "${ref.name ?? ''}" not found`);
      }
      const value = cm.data?.[ref.key ?? ''];
      if (value === undefined) {
        if (ref.optional) continue;
        return fail(`couldn't find key ${ref.key ?? ''} in ConfigMap ${ns}/${ref.name ?? ''}`);
      }
      vars.set(e.name, value);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = objects.secrets.get(ref.name ?? '');
      if (!s) {
        if (ref.optional) continue;
        return fail(`secret "${ref.name ?? ''}" not found`);
      }
      const value = secretData(s)[ref.key ?? ''];
      if (value === undefined) {
        if (ref.optional) continue;
        return fail(`couldn't find key ${ref.key ?? ''} in Secret ${ns}/${ref.name ?? ''}`);
      }
      vars.set(e.name, value);
    } else if (vf.fieldRef) {
      const value = fieldRefValue(pod, vf.fieldRef.fieldPath ?? '', facts);
      if (value === undefined) return fail(`unsupported fieldPath: ${vf.fieldRef.fieldPath ?? ''}`);
      vars.set(e.name, value);
    } else if (vf.resourceFieldRef) {
      vars.set(e.name, resourceFieldValue(container, vf.resourceFieldRef));
    }
  }
  return { ok: true, env: [...vars].map(([name, value]) => ({ name, value })) };
}

/** command/args with `$(VAR)` expanded from the container's environment. */
export function containerCommand(container: Container, env: Array<{ name: string; value: string }>): { entrypoint?: string[]; args?: string[] } {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const out: { entrypoint?: string[]; args?: string[] } = {};
  if (container.command) out.entrypoint = container.command.map((c) => expandVars(c, vars));
  if (container.args) out.args = container.args.map((a) => expandVars(a, vars));
  return out;
}

/** Docker's CPU and memory settings from the container's resources, as the kubelet maps them for cgroups. */
export function containerLimits(container: Container): { nanoCpus?: number; cpuShares: number; memoryBytes?: number } {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const out: { nanoCpus?: number; cpuShares: number; memoryBytes?: number } = { cpuShares: 2 };
  const cpuLimit = milliValue(limits.cpu);
  if (cpuLimit) out.nanoCpus = cpuLimit * 1_000_000;
  // An unset request defaults to the limit (apiserver defaulting); none at all gets the minimum shares.
  const cpuRequest = milliValue(requests.cpu ?? limits.cpu);
  if (cpuRequest) out.cpuShares = Math.min(262144, Math.max(2, Math.floor((cpuRequest * 1024) / 1000)));
  const memory = integerValue(limits.memory);
  if (memory) out.memoryBytes = memory;
  return out;
}

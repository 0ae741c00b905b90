/**
 * Endpoints and EndpointSlice controllers: a Service with a selector gets one Endpoints object and
 * EndpointSlices (≤100 endpoints each, per port set) listing the IPs of its pods; ready pods are addresses,
 * not-ready ones notReadyAddresses (or ready=false in slices), unless publishNotReadyAddresses.
 */
import type { Endpoints } from '../../shared/api/kinds/endpoints.ts';
import type { EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { Service } from '../../shared/api/kinds/service.ts';
import { canonicalJson } from '../../shared/api/validation.ts';
import { ownerReferenceTo } from './ownership.ts';
import { isPodReady } from './pods.ts';
import { refOf, type Action, type ReconcileResult } from './types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointsInput {
  service: Service | undefined;
  /** Pods in the Service's namespace. */
  pods: Pod[];
  endpoints: Endpoints | undefined;
  /** EndpointSlices labelled with the Service's name. */
  slices: EndpointSlice[];
}

interface Port {
  [key: string]: unknown;
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** FindPort: a numeric targetPort as is, a named one looked up among the pod's container ports. */
function resolvePorts(service: Service, pod: Pod): Port[] | undefined {
  const ports: Port[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const protocol = sp.protocol ?? 'TCP';
    const target = sp.targetPort ?? sp.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else if (/^\d+$/.test(target)) port = Number(target);
    else {
      for (const c of pod.spec.containers) {
        const found = c.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
        if (found) port = found.containerPort;
      }
    }
    if (port === undefined) continue;
    ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol, ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return ports;
}

interface Member {
  pod: Pod;
  ip: string;
  ready: boolean;
  terminating: boolean;
  ports: Port[];
}

function members(service: Service, pods: Pod[]): Member[] {
  const selector = service.spec?.selector ?? {};
  const out: Member[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== service.metadata.namespace) continue;
    const labels = pod.metadata.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase;
    if (!ip || phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    if (terminating && !service.spec?.publishNotReadyAddresses) continue;
    out.push({ pod, ip, ready: service.spec?.publishNotReadyAddresses === true || isPodReady(pod), terminating, ports: resolvePorts(service, pod) ?? [] });
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

function address(service: Service, m: Member) {
  const spec = m.pod.spec;
  return {
    ip: m.ip,
    ...(spec.hostname && spec.subdomain === service.metadata.name ? { hostname: spec.hostname } : {}),
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: m.pod.metadata.namespace, name: m.pod.metadata.name, uid: m.pod.metadata.uid },
  };
}

function groupByPorts(ms: Member[]): Map<string, Member[]> {
  const groups = new Map<string, Member[]>();
  for (const m of ms) {
    const key = canonicalJson(m.ports);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return groups;
}

/** The Endpoints object the Service implies. */
export function desiredEndpoints(service: Service, pods: Pod[]): Endpoints {
  const subsets = [...groupByPorts(members(service, pods))].map(([key, ms]) => {
    const ready = ms.filter((m) => m.ready).map((m) => address(service, m));
    const notReady = ms.filter((m) => !m.ready).map((m) => address(service, m));
    const ports = JSON.parse(key) as Port[];
    return { ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ...(ports.length ? { ports } : {}) };
  });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: service.metadata.name, namespace: service.metadata.namespace, ...(service.metadata.labels ? { labels: { ...service.metadata.labels } } : {}) },
    ...(subsets.length ? { subsets } : {}),
  };
}

/** The EndpointSlices' contents (without names): one or more per port set, IPv4. */
export function desiredSlices(service: Service, pods: Pod[]): Pick<EndpointSlice, 'endpoints' | 'ports'>[] {
  const out: Pick<EndpointSlice, 'endpoints' | 'ports'>[] = [];
  for (const [key, ms] of groupByPorts(members(service, pods))) {
    for (let i = 0; i < ms.length; i += MAX_ENDPOINTS_PER_SLICE) {
      out.push({
        ports: JSON.parse(key) as Port[],
        endpoints: ms.slice(i, i + MAX_ENDPOINTS_PER_SLICE).map((m) => {
          const a = address(service, m);
          return {
            addresses: [m.ip],
            conditions: { ready: m.ready && !m.terminating, serving: m.ready, terminating: m.terminating },
            ...(a.hostname ? { hostname: a.hostname } : {}),
            ...(a.nodeName ? { nodeName: a.nodeName } : {}),
            targetRef: a.targetRef,
          };
        }),
      });
    }
  }
  // A Service with no endpoints still gets one (empty) slice carrying its ports, as Kubernetes does.
  if (out.length === 0) out.push({ endpoints: [], ports: [] });
  return out;
}

export function reconcileEndpoints(input: EndpointsInput): ReconcileResult {
  const svc = input.service;
  // Selectorless Services are managed by their users; a deleted Service's objects go with it (ownerReferences / GC).
  if (!svc || !svc.spec?.selector || svc.spec.type === 'ExternalName') return { actions: [] };
  const actions: Action[] = [];
  const ep = desiredEndpoints(svc, input.pods);
  if (!input.endpoints) actions.push({ type: 'create', object: ep });
  else if (canonicalJson(input.endpoints.subsets ?? []) !== canonicalJson(ep.subsets ?? []) || canonicalJson(input.endpoints.metadata.labels ?? {}) !== canonicalJson(ep.metadata.labels ?? {})) {
    actions.push({ type: 'update', object: { ...input.endpoints, metadata: { ...input.endpoints.metadata, labels: ep.metadata.labels }, subsets: ep.subsets } as Endpoints });
  }

  const managed = input.slices.filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const want = desiredSlices(svc, input.pods);
  want.forEach((content, i) => {
    const existing = managed[i];
    if (existing) {
      if (canonicalJson(existing.endpoints ?? []) !== canonicalJson(content.endpoints ?? []) || canonicalJson(existing.ports ?? []) !== canonicalJson(content.ports ?? [])) {
        actions.push({ type: 'update', object: { ...existing, ...content } as EndpointSlice });
      }
      return;
    }
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels: { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name ?? '', [MANAGED_BY_LABEL]: MANAGED_BY },
        ownerReferences: [ownerReferenceTo(svc)],
      },
      addressType: 'IPv4',
      ...content,
    };
    actions.push({ type: 'create', object: slice });
  });
  for (const extra of managed.slice(want.length)) actions.push({ type: 'delete', ref: refOf(extra), preconditionUid: extra.metadata.uid });
  return { actions };
}

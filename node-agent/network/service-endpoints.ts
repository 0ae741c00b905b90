/**
 * Services and EndpointSlices reduced to what the proxy and DNS need: one entry per service port with its
 * endpoints (address:targetPort as the slices publish them). Shared by rules.ts and dns-records.ts.
 */
import type { EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import type { Service } from '../../shared/api/kinds/service.ts';

/** The label an EndpointSlice carries to name its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
}

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** `ns/name:port` (`ns/name` for an unnamed port): kube-proxy's ServicePortName, hashed into chain names. */
  portName: string;
  servicePortName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  nodePort?: number;
  /** undefined for headless (`None`) and ExternalName services. */
  clusterIP?: string;
  externalIPs: string[];
  type: string;
  endpoints: Endpoint[];
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return ipToNumber(a.ip) - ipToNumber(b.ip) || a.port - b.port;
}

/** The slices of each service, by `ns/name`. */
export function slicesByService(slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = serviceKey(s.metadata.namespace ?? '', svc);
    out.set(key, [...(out.get(key) ?? []), s]);
  }
  return out;
}

/** Endpoints of one service port across its slices, deduplicated by ip:port, sorted by address. */
export function endpointsFor(slices: EndpointSlice[], portName: string, protocol: string): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
    if (!port || port.port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      for (const ip of ep.addresses) {
        const key = `${ip}:${port.port}`;
        if (seen.has(key)) continue;
        const terminating = ep.conditions?.terminating === true;
        // A nil ready condition means ready (EndpointConditions docs); serving defaults to ready.
        const ready = ep.conditions?.ready !== false && !terminating;
        const serving = ep.conditions?.serving ?? ep.conditions?.ready !== false;
        const e: Endpoint = { ip, port: port.port, ready, serving, terminating };
        if (ep.hostname) e.hostname = ep.hostname;
        seen.set(key, e);
      }
    }
  }
  return [...seen.values()].sort(compareEndpoints);
}

/**
 * The endpoints traffic goes to: the ready ones, or if none is ready the serving-but-terminating ones
 * (kube-proxy's ProxyTerminatingEndpoints fallback, so connections drain during a rollout of one replica).
 */
export function usableEndpoints(endpoints: Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

function isIP(value: string | undefined): value is string {
  return !!value && /^\d{1,3}(\.\d{1,3}){3}$/.test(value);
}

/** One entry per port of every service, sorted by ServicePortName then protocol. */
export function servicePorts(services: Service[], slices: EndpointSlice[]): ServicePortInfo[] {
  const bySvc = slicesByService(slices);
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const spec = svc.spec ?? {};
    const type = spec.type ?? 'ClusterIP';
    const clusterIP = type !== 'ExternalName' && isIP(spec.clusterIP) ? spec.clusterIP : undefined;
    const externalIPs = [...(spec.externalIPs ?? []), ...(svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)].filter(isIP);
    for (const p of spec.ports ?? []) {
      const portName = p.name ?? '';
      const protocol = (p.protocol ?? 'TCP') as ServicePortInfo['protocol'];
      const info: ServicePortInfo = {
        namespace,
        name,
        portName,
        servicePortName: `${serviceKey(namespace, name)}${portName ? `:${portName}` : ''}`,
        protocol,
        port: p.port,
        externalIPs,
        type,
        endpoints: endpointsFor(bySvc.get(serviceKey(namespace, name)) ?? [], portName, protocol),
      };
      if (clusterIP) info.clusterIP = clusterIP;
      if (p.nodePort && (type === 'NodePort' || type === 'LoadBalancer')) info.nodePort = p.nodePort;
      out.push(info);
    }
  }
  return out.sort((a, b) => (a.servicePortName < b.servicePortName ? -1 : a.servicePortName > b.servicePortName ? 1 : a.protocol.localeCompare(b.protocol)));
}

/**
 * Cluster DNS as pure data (what CoreDNS's kubernetes plugin answers), built from Services, EndpointSlices and
 * Pods, plus the resolv.conf each pod gets:
 * - `<svc>.<ns>.svc.<domain>` A → the ClusterIP; for a headless service → the ready endpoint IPs;
 * - `<hostname>.<svc>.<ns>.svc.<domain>` A → the endpoint or pod with that hostname (StatefulSet pods, or pods
 *   with hostname + subdomain naming a headless service);
 * - `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV for named ports; ExternalName services → CNAME;
 * - `<a-b-c-d>.<ns>.pod.<domain>` A → a.b.c.d (CoreDNS's `pods insecure`).
 * Names outside the cluster domain are forwarded to the host's resolver by the server.
 */
import type { EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { Service } from '../../shared/api/kinds/service.ts';
import { endpointsFor, serviceKey, slicesByService, type Endpoint } from './service-endpoints.ts';

export const CLUSTER_DOMAIN = 'cluster.local';
/** CoreDNS's kubernetes plugin default TTL. */
export const DNS_TTL = 5;

export type DnsRecord =
  | { name: string; type: 'A'; ttl: number; data: string }
  | { name: string; type: 'CNAME'; ttl: number; data: string }
  | { name: string; type: 'SRV'; ttl: number; data: { priority: number; weight: number; port: number; target: string } };

export type DnsType = DnsRecord['type'];

export interface DnsZone {
  domain: string;
  /** By lower-case name without the trailing dot. */
  records: Map<string, DnsRecord[]>;
}

export type DnsAnswer =
  | { kind: 'answer'; rcode: 'NOERROR' | 'NXDOMAIN'; records: DnsRecord[] }
  /** Not ours: the server forwards the query to the host's resolver. */
  | { kind: 'forward' };

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function dashed(ip: string): string {
  return ip.replaceAll('.', '-');
}

class ZoneBuilder {
  readonly records = new Map<string, DnsRecord[]>();
  constructor(readonly domain: string) {}
  add(record: DnsRecord): void {
    const key = normalize(record.name);
    const list = this.records.get(key) ?? [];
    const same = (r: DnsRecord) => r.type === record.type && JSON.stringify(r.data) === JSON.stringify(record.data);
    if (!list.some(same)) list.push({ ...record, name: key } as DnsRecord);
    this.records.set(key, list);
  }
  /** A name that exists with no records of its own yet (a headless service without endpoints). */
  touch(name: string): void {
    const key = normalize(name);
    if (!this.records.has(key)) this.records.set(key, []);
  }
}

function isIP(value: string | undefined): value is string {
  return !!value && /^\d{1,3}(\.\d{1,3}){3}$/.test(value);
}

export interface ZoneOptions {
  domain?: string;
  ttl?: number;
}

export function buildDnsZone(services: Service[], slices: EndpointSlice[], pods: Pod[], options: ZoneOptions = {}): DnsZone {
  const domain = normalize(options.domain ?? CLUSTER_DOMAIN);
  const ttl = options.ttl ?? DNS_TTL;
  const zone = new ZoneBuilder(domain);
  const bySvc = slicesByService(slices);
  const headless = new Set<string>();

  for (const svc of services) {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const spec = svc.spec ?? {};
    const fqdn = `${name}.${ns}.svc.${domain}`;
    if (spec.type === 'ExternalName') {
      if (spec.externalName) zone.add({ name: fqdn, type: 'CNAME', ttl, data: normalize(spec.externalName) });
      continue;
    }
    const ports = spec.ports ?? [];
    if (isIP(spec.clusterIP)) {
      zone.add({ name: fqdn, type: 'A', ttl, data: spec.clusterIP });
      for (const p of ports) {
        if (!p.name) continue;
        const proto = (p.protocol ?? 'TCP').toLowerCase();
        zone.add({ name: `_${p.name}._${proto}.${fqdn}`, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
      }
      continue;
    }
    if (spec.clusterIP !== 'None') continue;
    headless.add(serviceKey(ns, name));
    zone.touch(fqdn);
    const svcSlices = bySvc.get(serviceKey(ns, name)) ?? [];
    const included = (e: Endpoint) => e.ready || spec.publishNotReadyAddresses === true;
    // Every address of the service, whatever the port: a headless service without ports still resolves.
    const addresses = new Map<string, Endpoint>();
    for (const slice of svcSlices) {
      for (const ep of slice.endpoints ?? []) {
        for (const ip of ep.addresses) {
          const terminating = ep.conditions?.terminating === true;
          const e: Endpoint = { ip, port: 0, ready: ep.conditions?.ready !== false && !terminating, serving: true, terminating };
          if (ep.hostname) e.hostname = ep.hostname;
          if (included(e) && !addresses.has(ip)) addresses.set(ip, e);
        }
      }
    }
    for (const e of [...addresses.values()].sort((a, b) => (a.ip < b.ip ? -1 : 1))) {
      zone.add({ name: fqdn, type: 'A', ttl, data: e.ip });
      zone.add({ name: `${e.hostname ?? dashed(e.ip)}.${fqdn}`, type: 'A', ttl, data: e.ip });
    }
    for (const p of ports) {
      if (!p.name) continue;
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      for (const e of endpointsFor(svcSlices, p.name, p.protocol ?? 'TCP').filter(included)) {
        zone.add({ name: `_${p.name}._${proto}.${fqdn}`, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: e.port, target: `${e.hostname ?? dashed(e.ip)}.${fqdn}` } });
      }
    }
  }

  // Pods with hostname + subdomain naming a headless service of their namespace (how StatefulSet pods are found).
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? '';
    const { hostname, subdomain } = pod.spec;
    const ip = pod.status?.podIP;
    if (!hostname || !subdomain || !isIP(ip) || !headless.has(serviceKey(ns, subdomain))) continue;
    zone.add({ name: `${hostname}.${subdomain}.${ns}.svc.${domain}`, type: 'A', ttl, data: ip });
  }
  return { domain, records: zone.records };
}

/** The answer to one question. CNAMEs are returned for any type, as resolvers expect. */
export function lookupDns(zone: DnsZone, name: string, type: DnsType, ttl = DNS_TTL): DnsAnswer {
  const key = normalize(name);
  if (key !== zone.domain && !key.endsWith(`.${zone.domain}`)) return { kind: 'forward' };
  const pod = new RegExp(`^(\\d{1,3})-(\\d{1,3})-(\\d{1,3})-(\\d{1,3})\\.[a-z0-9-]+\\.pod\\.${zone.domain.replaceAll('.', '\\.')}$`).exec(key);
  if (pod) {
    const ip = pod.slice(1, 5).join('.');
    return { kind: 'answer', rcode: 'NOERROR', records: type === 'A' ? [{ name: key, type: 'A', ttl, data: ip }] : [] };
  }
  const records = zone.records.get(key);
  if (records === undefined) {
    // A name that is a parent of existing names (`svc.cluster.local`, `ns.svc.cluster.local`) exists, empty.
    const parent = key === zone.domain || [...zone.records.keys()].some((k) => k.endsWith(`.${key}`));
    return { kind: 'answer', rcode: parent ? 'NOERROR' : 'NXDOMAIN', records: [] };
  }
  const cname = records.filter((r) => r.type === 'CNAME');
  if (cname.length && type !== 'CNAME') return { kind: 'answer', rcode: 'NOERROR', records: cname };
  return { kind: 'answer', rcode: 'NOERROR', records: records.filter((r) => r.type === type) };
}

/** The search path of a pod in `namespace`, most specific first. */
export function searchDomains(namespace: string, domain = CLUSTER_DOMAIN): string[] {
  return [`${namespace}.svc.${domain}`, `svc.${domain}`, domain];
}

export interface ResolvConfInput {
  namespace: string;
  dnsPolicy?: string;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: Array<{ name: string; value?: string }> };
  hostNetwork?: boolean;
  /** The agent's DNS server: its bridge IP. */
  nameserver: string;
  domain?: string;
  /** The host's resolv.conf, for dnsPolicy Default (and host search domains under ClusterFirst). */
  host?: { nameservers: string[]; searches: string[] };
}

/** The pod's /etc/resolv.conf, by dnsPolicy as the kubelet builds it (ClusterFirst: ndots:5 and the search path). */
export function resolvConf(input: ResolvConfInput): string {
  const policy = input.dnsPolicy ?? 'ClusterFirst';
  const host = input.host ?? { nameservers: [], searches: [] };
  let nameservers: string[];
  let searches: string[];
  let options: string[];
  const clusterFirst = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !input.hostNetwork);
  if (clusterFirst) {
    nameservers = [input.nameserver];
    searches = [...searchDomains(input.namespace, input.domain), ...host.searches];
    options = ['ndots:5'];
  } else if (policy === 'None') {
    nameservers = [];
    searches = [];
    options = [];
  } else {
    nameservers = host.nameservers;
    searches = host.searches;
    options = [];
  }
  const config = input.dnsConfig;
  if (config) {
    nameservers = [...new Set([...nameservers, ...(config.nameservers ?? [])])];
    searches = [...new Set([...searches, ...(config.searches ?? [])])];
    for (const o of config.options ?? []) {
      options = options.filter((x) => x.split(':')[0] !== o.name);
      options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
    }
  }
  const lines: string[] = [];
  if (searches.length) lines.push(`search ${searches.slice(0, 32).join(' ')}`);
  for (const ns of nameservers.slice(0, 3)) lines.push(`nameserver ${ns}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

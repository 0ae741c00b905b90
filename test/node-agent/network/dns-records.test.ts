import { describe, expect, it } from 'vitest';
import { buildDnsZone, lookupDns, resolvConf, searchDomains, type DnsType } from '../../../node-agent/network/dns-records.ts';
import { endpointSlice, pod, service } from '../support/objects.ts';

const services = [
  service('default', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  service('default', 'db', { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
  service('default', 'empty', { type: 'ClusterIP', clusterIP: 'None' }),
  service('default', 'ext', { type: 'ExternalName', externalName: 'example.com.' }),
  service('apps', 'web', { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }),
];
const slices = [
  endpointSlice('default', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.11' }]),
  endpointSlice('default', 'db', [{ name: 'pg', port: 5432 }], [
    { ip: '10.244.1.21', ready: true, hostname: 'db-0' },
    { ip: '10.244.1.22', ready: true, hostname: 'db-1' },
    { ip: '10.244.1.23', ready: false, hostname: 'db-2' },
  ]),
];
const pods = [
  pod({ hostname: 'worker-0', subdomain: 'db', containers: [{ name: 'c', image: 'i' }] }, { metadata: { name: 'worker-0' }, status: { podIP: '10.244.1.30' } }),
  pod({ hostname: 'stray', subdomain: 'web', containers: [{ name: 'c', image: 'i' }] }, { metadata: { name: 'stray' }, status: { podIP: '10.244.1.31' } }),
];
const zone = buildDnsZone(services, slices, pods);

function answer(name: string, type: DnsType = 'A') {
  const a = lookupDns(zone, name, type);
  if (a.kind === 'forward') return 'forward';
  return { rcode: a.rcode, data: a.records.map((r) => r.data) };
}

describe('cluster DNS records', () => {
  it.each<[string, DnsType, unknown]>([
    ['web.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.96.0.10'] }],
    ['WEB.Default.svc.cluster.local.', 'A', { rcode: 'NOERROR', data: ['10.96.0.10'] }],
    ['web.apps.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.96.0.11'] }],
    ['db.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.244.1.21', '10.244.1.22'] }],
    ['db-0.db.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.244.1.21'] }],
    ['db-2.db.default.svc.cluster.local', 'A', { rcode: 'NXDOMAIN', data: [] }],
    ['worker-0.db.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.244.1.30'] }],
    ['stray.web.default.svc.cluster.local', 'A', { rcode: 'NXDOMAIN', data: [] }],
    ['empty.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: [] }],
    ['ext.default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: ['example.com'] }],
    ['web.default.svc.cluster.local', 'SRV', { rcode: 'NOERROR', data: [] }],
    ['_http._tcp.web.default.svc.cluster.local', 'SRV', { rcode: 'NOERROR', data: [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }] }],
    [
      '_pg._tcp.db.default.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        data: [
          { priority: 0, weight: 100, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
          { priority: 0, weight: 100, port: 5432, target: 'db-1.db.default.svc.cluster.local' },
        ],
      },
    ],
    ['10-244-1-99.default.pod.cluster.local', 'A', { rcode: 'NOERROR', data: ['10.244.1.99'] }],
    ['nope.default.svc.cluster.local', 'A', { rcode: 'NXDOMAIN', data: [] }],
    ['default.svc.cluster.local', 'A', { rcode: 'NOERROR', data: [] }],
    ['example.com', 'A', 'forward'],
    ['web.default', 'A', 'forward'],
  ])('answers %s %s', (name, type, expected) => {
    expect(answer(name, type)).toEqual(expected);
  });

  it('includes not-ready endpoints of a headless service that publishes them', () => {
    const svc = service('default', 'db', { type: 'ClusterIP', clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] });
    const z = buildDnsZone([svc], slices, []);
    const a = lookupDns(z, 'db.default.svc.cluster.local', 'A');
    expect(a.kind === 'answer' && a.records.map((r) => r.data)).toEqual(['10.244.1.21', '10.244.1.22', '10.244.1.23']);
  });

  it('uses the configured cluster domain', () => {
    const z = buildDnsZone(services, slices, [], { domain: 'zp.internal' });
    expect(lookupDns(z, 'web.default.svc.zp.internal', 'A')).toMatchObject({ kind: 'answer', rcode: 'NOERROR' });
    expect(lookupDns(z, 'web.default.svc.cluster.local', 'A')).toEqual({ kind: 'forward' });
  });
});

describe('resolv.conf of a pod', () => {
  it('lists the search domains of the namespace, most specific first', () => {
    expect(searchDomains('shop')).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });

  it('points ClusterFirst pods at the agent with ndots:5', () => {
    expect(resolvConf({ namespace: 'default', nameserver: '10.244.1.1' })).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.244.1.1\noptions ndots:5\n',
    );
  });

  it('appends the host search domains under ClusterFirst', () => {
    const text = resolvConf({ namespace: 'a', nameserver: '10.244.1.1', host: { nameservers: ['1.1.1.1'], searches: ['ec2.internal'] } });
    expect(text).toBe('search a.svc.cluster.local svc.cluster.local cluster.local ec2.internal\nnameserver 10.244.1.1\noptions ndots:5\n');
  });

  it('gives Default pods, and hostNetwork ClusterFirst pods, the host resolver', () => {
    const host = { nameservers: ['1.1.1.1', '8.8.8.8'], searches: ['ec2.internal'] };
    const expected = 'search ec2.internal\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n';
    expect(resolvConf({ namespace: 'a', nameserver: '10.244.1.1', dnsPolicy: 'Default', host })).toBe(expected);
    expect(resolvConf({ namespace: 'a', nameserver: '10.244.1.1', hostNetwork: true, host })).toBe(expected);
  });

  it('builds None pods from dnsConfig alone, and merges dnsConfig options otherwise', () => {
    const dnsConfig = { nameservers: ['9.9.9.9'], searches: ['corp'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    expect(resolvConf({ namespace: 'a', nameserver: '10.244.1.1', dnsPolicy: 'None', dnsConfig })).toBe('search corp\nnameserver 9.9.9.9\noptions ndots:2 edns0\n');
    expect(resolvConf({ namespace: 'a', nameserver: '10.244.1.1', dnsConfig })).toBe(
      'search a.svc.cluster.local svc.cluster.local cluster.local corp\nnameserver 10.244.1.1\nnameserver 9.9.9.9\noptions ndots:2 edns0\n',
    );
  });
});

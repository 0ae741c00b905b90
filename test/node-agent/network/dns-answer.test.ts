import dnsPacket, { type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { answerQuery } from '../../../node-agent/network/dns-answer.ts';
import { buildDnsZone } from '../../../node-agent/network/dns-records.ts';
import { endpointSlice, service } from '../support/objects.ts';

const many = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.1.${i + 10}`, ready: true }));
const zone = buildDnsZone(
  [
    service('default', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    service('default', 'big', { type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 80 }] }),
    service('default', 'ext', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
  ],
  [endpointSlice('default', 'big', [{ port: 80 }], many)],
  [],
);

function query(name: string, type: RecordType, extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], ...extra });
}

function ask(name: string, type: RecordType, transport: 'udp' | 'tcp' = 'udp', extra: Partial<dnsPacket.Packet> = {}) {
  const r = answerQuery(query(name, type, extra), zone, transport);
  if (r.kind !== 'reply') return r.kind;
  const p = dnsPacket.decode(r.packet);
  return {
    id: p.id,
    rcode: (p as unknown as { rcode: string }).rcode,
    aa: p.flag_aa,
    tc: p.flag_tc,
    answers: (p.answers ?? []).map((a) => `${a.name} ${a.type} ${JSON.stringify((a as { data: unknown }).data)}`),
    authorities: (p.authorities ?? []).map((a) => `${a.name} ${a.type}`),
    additionals: (p.additionals ?? []).length,
  };
}

describe('answerQuery', () => {
  it('answers a service name with its ClusterIP, authoritatively, echoing the id', () => {
    expect(ask('web.default.svc.cluster.local', 'A')).toEqual({
      id: 4242,
      rcode: 'NOERROR',
      aa: true,
      tc: false,
      answers: ['web.default.svc.cluster.local A "10.96.0.10"'],
      authorities: [],
      additionals: 0,
    });
  });

  it('answers AAAA for an existing name with no data and the SOA (resolvers then use the A answer)', () => {
    expect(ask('web.default.svc.cluster.local', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [], authorities: ['cluster.local SOA'] });
  });

  it('answers NXDOMAIN with the SOA for unknown cluster names', () => {
    expect(ask('nope.default.svc.cluster.local', 'A')).toMatchObject({ rcode: 'NXDOMAIN', answers: [], authorities: ['cluster.local SOA'] });
  });

  it('follows a CNAME to a cluster target', () => {
    expect(ask('ext.default.svc.cluster.local', 'A')).toMatchObject({
      rcode: 'NOERROR',
      answers: ['ext.default.svc.cluster.local CNAME "web.default.svc.cluster.local"', 'web.default.svc.cluster.local A "10.96.0.10"'],
    });
  });

  it('adds the targets of SRV answers as additionals', () => {
    expect(ask('_http._tcp.web.default.svc.cluster.local', 'SRV')).toMatchObject({ rcode: 'NOERROR', additionals: 1 });
  });

  it('hands names outside the cluster domain to the forwarder', () => {
    expect(ask('example.com', 'A')).toBe('forward');
  });

  it('truncates a reply too large for classic UDP, but not over TCP or with a larger EDNS size', () => {
    expect(ask('big.default.svc.cluster.local', 'A')).toMatchObject({ tc: true, answers: [] });
    expect(ask('big.default.svc.cluster.local', 'A', 'tcp')).toMatchObject({ tc: false });
    const edns = { additionals: [{ type: 'OPT' as const, name: '.', udpPayloadSize: 4096 }] };
    const r = ask('big.default.svc.cluster.local', 'A', 'udp', edns as Partial<dnsPacket.Packet>);
    expect(r).toMatchObject({ tc: false });
    expect(typeof r === 'object' && r.answers.length).toBe(60);
  });

  it('drops garbage shorter than a header and answers FORMERR to undecodable packets', () => {
    expect(answerQuery(Buffer.from([1, 2, 3]), zone)).toEqual({ kind: 'drop' });
    const bad = Buffer.alloc(20, 0xff);
    bad.writeUInt16BE(77, 0);
    const r = answerQuery(bad, zone);
    expect(r.kind).toBe('reply');
    if (r.kind === 'reply') expect(dnsPacket.decode(r.packet)).toMatchObject({ id: 77, rcode: 'FORMERR' });
  });
});

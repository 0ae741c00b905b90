/**
 * DNS wire format for the agent's resolver: one query packet in, the reply packet out (or "forward" for names
 * outside the cluster domain). Pure, so the UDP/TCP server is a thin adapter. Packets are encoded and decoded
 * with dns-packet; answers come from dns-records.ts. Negative answers carry the zone's SOA so resolvers cache
 * them for the TTL; replies larger than the client's UDP size are truncated (TC) so it retries over TCP.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import { DNS_TTL, lookupDns, type DnsRecord, type DnsType, type DnsZone } from './dns-records.ts';

const NOERROR = 0;
const FORMERR = 1;
const NXDOMAIN = 3;
const NOTIMP = 4;
const CLASSIC_UDP_SIZE = 512;

export type DnsReply = { kind: 'reply'; packet: Buffer } | { kind: 'forward' } | { kind: 'drop' };

function toAnswer(r: DnsRecord): Answer {
  if (r.type === 'SRV') return { type: 'SRV', name: r.name, ttl: r.ttl, class: 'IN', data: r.data };
  return { type: r.type, name: r.name, ttl: r.ttl, class: 'IN', data: r.data };
}

function soa(zone: DnsZone): Answer {
  return {
    type: 'SOA',
    name: zone.domain,
    ttl: DNS_TTL,
    class: 'IN',
    data: { mname: `ns.dns.${zone.domain}`, rname: `hostmaster.${zone.domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: DNS_TTL },
  };
}

function reply(query: DecodedPacket, rcode: number, fields: { answers?: Answer[]; authorities?: Answer[]; additionals?: Answer[] }): dnsPacket.Packet {
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode;
  return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers: fields.answers ?? [], authorities: fields.authorities ?? [], additionals: fields.additionals ?? [] };
}

function udpLimit(query: DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(CLASSIC_UDP_SIZE, opt?.udpPayloadSize ?? CLASSIC_UDP_SIZE);
}

/** The reply to a query packet. `transport` decides whether a large reply is truncated (UDP) or not (TCP). */
export function answerQuery(packet: Buffer, zone: DnsZone, transport: 'udp' | 'tcp' = 'udp'): DnsReply {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(packet);
  } catch {
    // Not even a header to answer to.
    if (packet.length < 12) return { kind: 'drop' };
    return { kind: 'reply', packet: dnsPacket.encode({ type: 'response', id: packet.readUInt16BE(0), flags: FORMERR, questions: [] }) };
  }
  if (query.type !== 'query') return { kind: 'drop' };
  const question: Question | undefined = query.questions?.[0];
  if (!question || (query.questions?.length ?? 0) !== 1) return { kind: 'reply', packet: dnsPacket.encode(reply(query, FORMERR, {})) };

  const supported = question.type === 'A' || question.type === 'SRV' || question.type === 'CNAME';
  const result = lookupDns(zone, question.name, supported ? (question.type as DnsType) : 'A');
  if (result.kind === 'forward') return { kind: 'forward' };
  if (question.class && question.class !== 'IN') return { kind: 'reply', packet: dnsPacket.encode(reply(query, NOTIMP, {})) };

  let answers = supported ? result.records.map(toAnswer) : [];
  // A CNAME answer for another type is followed by the target's records when the target is ours.
  const cname = result.records.find((r) => r.type === 'CNAME');
  if (cname && question.type !== 'CNAME' && supported) {
    const target = lookupDns(zone, cname.data as string, question.type as DnsType);
    if (target.kind === 'answer') answers = [...answers, ...target.records.map(toAnswer)];
  }
  const additionals: Answer[] = [];
  for (const r of result.records) {
    if (r.type !== 'SRV' || !supported) continue;
    const target = lookupDns(zone, r.data.target, 'A');
    if (target.kind === 'answer') additionals.push(...target.records.map(toAnswer));
  }
  const rcode = result.rcode === 'NXDOMAIN' ? NXDOMAIN : NOERROR;
  const authorities = answers.length === 0 ? [soa(zone)] : [];
  let encoded = dnsPacket.encode(reply(query, rcode, { answers, authorities, additionals }));
  if (transport === 'udp' && encoded.length > udpLimit(query)) {
    encoded = dnsPacket.encode(reply(query, rcode | dnsPacket.TRUNCATED_RESPONSE, {}));
  }
  return { kind: 'reply', packet: encoded };
}

/**
 * The node's cluster DNS over UDP and TCP (RFC 1035 §4.2: TCP messages carry a 2-byte length prefix). Answers
 * for the cluster domain come from the zone (dns-records.ts via dns-answer.ts); every other name is forwarded
 * unchanged to the upstream resolver (the host's), over the transport the client used, and its reply relayed
 * as is. An upstream that does not answer in time gets the client a SERVFAIL. Search domains are the client's
 * business (the pod's resolv.conf from resolvConf()).
 *
 * `startClusterDns` is the agent's entry: it follows Services and EndpointSlices, rebuilds the zone on each
 * change, and serves on the given address (inside `netns` through netns-bind.ts when one is given).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { EndpointSliceSchema, type EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import { ServiceSchema, type Service } from '../../shared/api/kinds/service.ts';
import { answerQuery } from './dns-answer.ts';
import { buildDnsZone, CLUSTER_DOMAIN, type DnsZone } from './dns-records.ts';
import { bindHere, bindInNetns, type BoundSockets } from './netns-bind.ts';
import { ENDPOINT_SLICES, SERVICES, type ResourceWatch } from './resource-watch.ts';

const SERVFAIL = 2;

export interface Upstream {
  address: string;
  /** Default 53. */
  port?: number;
}

export interface DnsServerOptions {
  sockets: BoundSockets;
  zone: () => DnsZone;
  upstream: Upstream;
  /** How long an upstream gets to answer. Default 2000 ms. */
  forwardTimeoutMs?: number;
}

export interface DnsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** The nameservers of a resolv.conf (for the host's resolver as upstream). */
export function nameserversOf(resolvConfText: string): string[] {
  return resolvConfText
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

function servfail(query: Buffer): Buffer | undefined {
  try {
    const q = dnsPacket.decode(query);
    const flags = dnsPacket.RECURSION_AVAILABLE | (q.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | SERVFAIL;
    return dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags, questions: q.questions ?? [] });
  } catch {
    return undefined;
  }
}

function forwardUdp(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => done(new Error(`upstream ${upstream.address} timed out`)), timeoutMs);
    function done(err: Error | undefined, reply?: Buffer): void {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    }
    socket.on('error', (err) => done(err));
    // The query id is the client's; a reply with another id is not ours (a late reply to someone else).
    socket.on('message', (msg) => msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0) && done(undefined, msg));
    socket.send(query, upstream.port ?? 53, upstream.address);
  });
}

/** Reads 2-byte-length-prefixed messages off a TCP stream. */
function onTcpMessages(socket: net.Socket, onMessage: (message: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const length = buffered.readUInt16BE(0);
      onMessage(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
    }
  });
}

function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

function forwardTcp(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.address, port: upstream.port ?? 53 });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`upstream ${upstream.address} timed out`)));
    socket.on('error', reject);
    onTcpMessages(socket, (reply) => {
      resolve(reply);
      socket.end();
    });
    socket.on('close', () => reject(new Error(`upstream ${upstream.address} closed the connection`)));
    socket.write(framed(query));
  });
}

/** Serves DNS on already bound sockets. */
export function serveDns(options: DnsServerOptions): DnsServer {
  const timeoutMs = options.forwardTimeoutMs ?? 2000;
  const { udp, tcp } = options.sockets;
  const connections = new Set<net.Socket>();

  const respond = async (query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    const result = answerQuery(query, options.zone(), transport);
    if (result.kind === 'reply') return result.packet;
    if (result.kind === 'drop') return undefined;
    try {
      return await (transport === 'udp' ? forwardUdp : forwardTcp)(query, options.upstream, timeoutMs);
    } catch {
      return servfail(query);
    }
  };

  udp.on('message', (query, peer) => {
    void respond(query, 'udp').then((reply) => reply && udp.send(reply, peer.port, peer.address));
  });
  // A bad datagram or a send to a vanished client must not take the server down.
  udp.on('error', () => {});
  tcp.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    onTcpMessages(socket, (query) => {
      void respond(Buffer.from(query), 'tcp').then((reply) => reply && !socket.destroyed && socket.write(framed(reply)));
    });
  });

  return {
    address: options.sockets.address,
    port: options.sockets.port,
    close: async () => {
      for (const c of connections) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

export interface ClusterDnsOptions {
  watch: ResourceWatch;
  /** Where to serve: the node's bridge address (pods' nameserver), port 53 by default. */
  address: string;
  port?: number;
  /** Bind inside this network namespace (tests); undefined binds in the agent's own. */
  netns?: string;
  upstream: Upstream;
  domain?: string;
  forwardTimeoutMs?: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface ClusterDns extends DnsServer {
  /** Resolves once Services and EndpointSlices have both been listed (answers before are from an empty zone). */
  ready: Promise<void>;
}

/** The agent's DNS: follows Services and EndpointSlices and serves their zone, forwarding other names. */
export async function startClusterDns(options: ClusterDnsOptions): Promise<ClusterDns> {
  const log = options.log ?? ((message, fields) => console.log(JSON.stringify({ component: 'cluster-dns', message, ...fields })));
  const port = options.port ?? 53;
  const sockets = options.netns ? await bindInNetns(options.netns, options.address, port) : await bindHere(options.address, port);
  let services: Service[] | undefined;
  let slices: EndpointSlice[] | undefined;
  let zone = buildDnsZone([], [], [], { domain: options.domain ?? CLUSTER_DOMAIN });
  let markReady!: () => void;
  const ready = new Promise<void>((res) => (markReady = res));
  // StatefulSet pods are found through their endpoints' hostnames (the EndpointSlice controller copies
  // hostname when the pod's subdomain names the service), so pods need not be followed cluster-wide.
  const rebuild = () => {
    if (!services || !slices) return;
    zone = buildDnsZone(services, slices, [], { domain: options.domain ?? CLUSTER_DOMAIN });
    markReady();
  };
  const abort = new AbortController();
  const onError = (err: unknown) => log('watch failed', { error: err instanceof Error ? err.message : String(err) });
  options.watch(SERVICES, { parse: (o) => ServiceSchema.parse(o), onChange: (items) => ((services = items), rebuild()), onError }, abort.signal);
  options.watch(ENDPOINT_SLICES, { parse: (o) => EndpointSliceSchema.parse(o), onChange: (items) => ((slices = items), rebuild()), onError }, abort.signal);
  const server = serveDns({ sockets, zone: () => zone, upstream: options.upstream, ...(options.forwardTimeoutMs ? { forwardTimeoutMs: options.forwardTimeoutMs } : {}) });
  return {
    ...server,
    ready,
    close: async () => {
      abort.abort();
      await server.close();
    },
  };
}

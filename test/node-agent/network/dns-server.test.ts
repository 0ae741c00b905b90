/**
 * The node's cluster DNS end to end: a local cluster holds the Services and EndpointSlices, the DNS server
 * serves the node namespace's bridge address (bound there through netns-bind) and forwards other names to a fake
 * upstream on the host's loopback; busybox pods resolve through a resolv.conf with the cluster's search path,
 * and the service proxy carries the ClusterIP traffic, as on a real node.
 */
import { spawn } from 'node:child_process';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvConf } from '../../../node-agent/network/dns-records.ts';
import { startClusterDns, type ClusterDns } from '../../../node-agent/network/dns-server.ts';
import { bindHere, type BoundSockets } from '../../../node-agent/network/netns-bind.ts';
import { httpResourceWatch } from '../../../node-agent/network/resource-watch.ts';
import { startServiceProxy, type ServiceProxy } from '../../../node-agent/network/service-proxy.ts';
import { startCluster, type LocalCluster } from '../../support/cluster.ts';
import { createLab, hostIptables, oursIn, sweepLabs, type Lab, type LabPod } from '../support/netns-lab.ts';

const OUTSIDE_NAME = 'outside.example.test';
const OUTSIDE_IP = '192.0.2.7'; // TEST-NET-1: only ever an answer, never contacted
let cluster: LocalCluster;
let lab: Lab;
let dns: ClusterDns;
let proxy: ServiceProxy;
let upstream: BoundSockets;
let client: LabPod;
let clusterIP: string;
let hostBefore: string;
const upstreamQueries: string[] = [];

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const reply = await cluster.api().request(method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply.json();
}

/** A resolver on the host's loopback that knows one name (what the host's resolver is in production). */
async function startFakeUpstream(): Promise<BoundSockets> {
  const sockets = await bindHere('127.0.0.1', 0);
  sockets.udp.on('message', (msg, peer) => {
    const query = dnsPacket.decode(msg);
    const q = query.questions![0]!;
    upstreamQueries.push(q.name);
    const known = q.name === OUTSIDE_NAME && q.type === 'A';
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: query.questions ?? [],
      answers: known ? [{ type: 'A', name: q.name, ttl: 60, class: 'IN', data: OUTSIDE_IP }] : [],
    });
    sockets.udp.send(reply, peer.port, peer.address);
  });
  return sockets;
}

/** One DNS query over TCP from inside the node namespace (busybox's nslookup speaks UDP only). */
function tcpQuery(name: string, type: 'A' | 'SRV'): Promise<{ answers: Array<{ type: string; data: unknown }>; additionals: Array<{ type: string; data: unknown }> }> {
  const query = dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });
  const script = `const s = require('node:net').connect(53, ${JSON.stringify(lab.bridgeIP)}); let b = Buffer.alloc(0);
    s.on('data', (c) => { b = Buffer.concat([b, c]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) { process.stdout.write(b.toString('base64')); s.end(); } });
    s.write(Buffer.from(${JSON.stringify(query.toString('base64'))}, 'base64'));`;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', lab.node, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 10_000 });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const reply = dnsPacket.streamDecode(Buffer.from(out, 'base64'));
        resolve({ answers: (reply.answers ?? []) as any, additionals: (reply.additionals ?? []) as any });
      } catch (err) {
        reject(err);
      }
    });
  });
}

const nslookup = (name: string) => client.exec('nslookup', name).catch((err: { stdout?: string }) => err.stdout ?? '');

beforeAll(async () => {
  await sweepLabs();
  hostBefore = await hostIptables();
  [cluster, lab, upstream] = await Promise.all([startCluster({ tools: false }), createLab('dns'), startFakeUpstream()]);
  const [, pod] = await Promise.all([lab.addPod('web', '10.244.1.11', 'web-pod'), lab.addPod('client', '10.244.1.20', 'client-pod')]);
  client = pod;
  const conf = resolvConf({ namespace: 'default', nameserver: lab.bridgeIP });
  await client.exec('sh', '-c', `printf '%s' '${conf}' > /etc/resolv.conf`);
  const watch = httpResourceWatch({ server: cluster.server, token: cluster.token, ca: cluster.ca });
  const log = () => {};
  [dns, proxy] = await Promise.all([
    startClusterDns({ watch, address: lab.bridgeIP, netns: lab.node, upstream: { address: '127.0.0.1', port: upstream.port }, log }),
    startServiceProxy({ watch, nodeName: 'lab-node', podCIDR: lab.podCIDR, netns: lab.node, serviceCidr: '10.96.0.0/12', serviceRoute: { dev: lab.bridge, src: lab.bridgeIP }, log }),
  ]);
  const svc = await call('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  clusterIP = svc.spec.clusterIP;
  await call('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db' },
    spec: { clusterIP: 'None', ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
  });
  const slice = (name: string, service: string, port: { name: string; port: number }, endpoints: Array<{ ip: string; hostname?: string }>) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ ...port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, ...(e.hostname ? { hostname: e.hostname } : {}) })),
  });
  await call('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('web-1', 'web', { name: 'http', port: 8080 }, [{ ip: '10.244.1.11' }]));
  await call('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('db-1', 'db', { name: 'sql', port: 5432 }, [
    { ip: '10.244.1.31', hostname: 'db-0' },
    { ip: '10.244.1.32', hostname: 'db-1' },
  ]));
  await Promise.all([dns.ready, proxy.ready]);
}, 180_000);

afterAll(async () => {
  await dns?.close();
  await proxy?.stop({ removeRules: true }).catch(() => {});
  await new Promise<void>((r) => (upstream ? upstream.udp.close(() => r()) : r()));
  upstream?.tcp.close();
  await lab?.destroy();
  await cluster?.stop();
});

describe('startClusterDns (a pod resolving through the node DNS)', () => {
  it('answers <svc>.<ns>.svc.cluster.local with the ClusterIP', async () => {
    await expect.poll(() => nslookup('web.default.svc.cluster.local'), { timeout: 5000 }).toContain(`Address: ${clusterIP}`);
  });

  it('serves a short name through the search domains, and wget reaches the service by it', async () => {
    expect(await nslookup('web')).toContain(`Address: ${clusterIP}`);
    await expect.poll(() => client.exec('timeout', '3', 'wget', '-qO-', 'http://web/').catch(() => ''), { timeout: 5000 }).toBe('web-pod\n');
    expect(await client.exec('timeout', '3', 'wget', '-qO-', 'http://web.default.svc.cluster.local/')).toBe('web-pod\n');
  });

  it('answers a headless service with its pod IPs, and a StatefulSet pod by <pod>.<svc>', async () => {
    const all = await nslookup('db.default.svc.cluster.local');
    expect(all).toContain('Address: 10.244.1.31');
    expect(all).toContain('Address: 10.244.1.32');
    const one = await nslookup('db-1.db.default.svc.cluster.local');
    expect(one).toContain('Address: 10.244.1.32');
    expect(one).not.toContain('10.244.1.31');
  });

  it('answers NXDOMAIN for an unknown service of the cluster domain without asking upstream', async () => {
    const before = upstreamQueries.length;
    expect(await nslookup('nope.default.svc.cluster.local')).toMatch(/NXDOMAIN|can't find/);
    expect(upstreamQueries.slice(before).filter((n) => n.endsWith('cluster.local'))).toEqual([]);
  });

  it('forwards other names to the upstream resolver and relays its answer', async () => {
    expect(await nslookup(`${OUTSIDE_NAME}.`)).toContain(`Address: ${OUTSIDE_IP}`);
    expect(upstreamQueries).toContain(OUTSIDE_NAME);
  });

  it('answers over TCP too, with SRV records for named ports', async () => {
    const a = await tcpQuery('web.default.svc.cluster.local', 'A');
    expect(a.answers.map((r) => r.data)).toEqual([clusterIP]);
    const srv = await tcpQuery('_sql._tcp.db.default.svc.cluster.local', 'SRV');
    expect(srv.answers.map((r) => r.data)).toEqual(
      expect.arrayContaining([expect.objectContaining({ port: 5432, target: 'db-0.db.default.svc.cluster.local' }), expect.objectContaining({ port: 5432, target: 'db-1.db.default.svc.cluster.local' })]),
    );
  });

  it('follows changes: a new service resolves without a restart', async () => {
    const svc = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } });
    await expect.poll(() => nslookup('late'), { timeout: 3000 }).toContain(`Address: ${svc.spec.clusterIP}`);
  });

  it('left the host namespace’s tables as they were', async () => {
    expect(oursIn(await hostIptables())).toEqual(oursIn(hostBefore));
  });
});

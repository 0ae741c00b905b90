/**
 * The service proxy against real packets: a local cluster holds the Services and EndpointSlices, the proxy
 * follows them over HTTPS and programs a throwaway node namespace; three busybox httpd pods answer with their
 * names; requests come from a client namespace, from the node namespace itself and from a pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iptablesSave } from '../../../node-agent/network/iptables.ts';
import { httpResourceWatch } from '../../../node-agent/network/resource-watch.ts';
import { startServiceProxy, type ServiceProxy } from '../../../node-agent/network/service-proxy.ts';
import { startCluster, type LocalCluster } from '../../support/cluster.ts';
import { bodies, createLab, hostIptables, oursIn, sweepLabs, tally, type Lab } from '../support/netns-lab.ts';

const NODE_PORT = 30080;
let cluster: LocalCluster;
let lab: Lab;
let proxy: ServiceProxy;
let clusterIP: string;
let hostBefore: string;
const logs: string[] = [];

const slice = (name: string, service: string, ips: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, ...extra })),
});

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const reply = await cluster.api().request(method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply.json();
}

const natRules = async () => (await iptablesSave({ netns: lab.node })).split('\n').filter((l) => l.startsWith('-A ZP-') || l.startsWith(':ZP-'));

beforeAll(async () => {
  await sweepLabs();
  hostBefore = await hostIptables();
  [cluster, lab] = await Promise.all([startCluster({ tools: false }), createLab('svc')]);
  await Promise.all([lab.addPod('pod1', '10.244.1.11', 'pod1'), lab.addPod('pod2', '10.244.1.12', 'pod2'), lab.addPod('pod3', '10.244.1.13', 'pod3')]);
  proxy = await startServiceProxy({
    watch: httpResourceWatch({ server: cluster.server, token: cluster.token, ca: cluster.ca }),
    nodeName: 'lab-node',
    podCIDR: lab.podCIDR,
    clusterCIDR: '10.244.0.0/16',
    nodeIPs: [lab.nodeIP],
    netns: lab.node,
    serviceCidr: '10.96.0.0/12',
    serviceRoute: { dev: lab.bridge, src: lab.bridgeIP },
    log: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
  });
  const svc = await call('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT, protocol: 'TCP' }] },
  });
  clusterIP = svc.spec.clusterIP;
  await call('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('web-1', 'web', ['10.244.1.11', '10.244.1.12', '10.244.1.13']));
  await proxy.ready;
}, 180_000);

afterAll(async () => {
  await proxy?.stop({ removeRules: true }).catch(() => {});
  await lab?.destroy();
  await cluster?.stop();
});

describe('startServiceProxy (real packets in a node namespace)', () => {
  it('spreads ClusterIP connections from another namespace over the 3 ready endpoints', async () => {
    await expect.poll(async () => (await bodies(lab, lab.client, `http://${clusterIP}/`, 1))[0], { timeout: 5000 }).toMatch(/^pod\d$/);
    const counts = tally(await bodies(lab, lab.client, `http://${clusterIP}/`, 60));
    expect(Object.keys(counts).sort()).toEqual(['pod1', 'pod2', 'pod3']);
    for (const pod of ['pod1', 'pod2', 'pod3']) expect(counts[pod]).toBeGreaterThanOrEqual(5);
  });

  it('answers the NodePort on the node address from the client namespace', async () => {
    const counts = tally(await bodies(lab, lab.client, `http://${lab.nodeIP}:${NODE_PORT}/`, 30));
    expect(Object.keys(counts).sort()).toEqual(['pod1', 'pod2', 'pod3']);
  });

  it('answers the NodePort on 127.0.0.1 and the ClusterIP from inside the node namespace', async () => {
    const local = tally(await bodies(lab, lab.node, `http://127.0.0.1:${NODE_PORT}/`, 30));
    expect(Object.keys(local).sort()).toEqual(['pod1', 'pod2', 'pod3']);
    const viaClusterIP = tally(await bodies(lab, lab.node, `http://${clusterIP}/`, 15));
    expect(viaClusterIP['-']).toBeUndefined();
  });

  it('lets a pod reach its own service (hairpin), itself included', async () => {
    const started = performance.now();
    const script = `for i in $(seq 30); do timeout 3 wget -qO- http://${clusterIP}/ 2>/dev/null || echo -; done`;
    const counts = tally((await lab.pods[0]!.exec('sh', '-c', script)).split('\n').filter(Boolean));
    expect(counts['-']).toBeUndefined();
    expect(counts.pod1).toBeGreaterThan(0);
    // Without hairpin masquerade each self-pick stalls for a SYN retransmit (local-stack.md §5: 16 s for 30).
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stops sending to a removed endpoint within a second', async () => {
    const current = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1');
    current.endpoints = current.endpoints.filter((e: any) => e.addresses[0] !== '10.244.1.13');
    await call('PUT', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1', current);
    const written = performance.now();
    await expect.poll(async () => (await natRules()).some((l) => l.includes('10.244.1.13')), { timeout: 1000, interval: 20 }).toBe(false);
    const elapsed = performance.now() - written;
    console.log(`endpoint removal applied ${elapsed.toFixed(0)} ms after the write`);
    const counts = tally(await bodies(lab, lab.client, `http://${clusterIP}/`, 30));
    expect(Object.keys(counts).sort()).toEqual(['pod1', 'pod2']);
  });

  it('gives a headless service no virtual IP rules', async () => {
    const before = proxy.stats().lastSync!;
    await call('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
    });
    await call('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('db-1', 'db', ['10.244.1.12']));
    await expect.poll(() => proxy.stats().lastSync?.services, { timeout: 2000 }).toBe(before.services + 1);
    await expect.poll(() => proxy.stats().lastSync?.slices, { timeout: 2000 }).toBe(before.slices + 1);
    const rules = await natRules();
    expect(rules.filter((l) => l.includes('default/db'))).toEqual([]);
    expect(rules.some((l) => l.includes('default/web'))).toBe(true);
  });

  it('removes every rule of a deleted service, and its ClusterIP stops answering', async () => {
    await call('DELETE', '/api/v1/namespaces/default/services/web');
    await expect.poll(async () => (await natRules()).filter((l) => /ZP-SVC-|ZP-SEP-|default\/web/.test(l)), { timeout: 1000, interval: 20 }).toEqual([]);
    expect(await bodies(lab, lab.client, `http://${clusterIP}/`, 1)).toEqual(['-']);
    expect(await bodies(lab, lab.client, `http://${lab.nodeIP}:${NODE_PORT}/`, 1)).toEqual(['-']);
  });

  it('removes all of its rules on cleanup and leaves the host namespace as it found it', async () => {
    await proxy.stop({ removeRules: true });
    const left = await iptablesSave({ netns: lab.node });
    expect(left).not.toContain('ZP-');
    expect(left).not.toContain('zeroplane');
    const hostAfter = await hostIptables();
    expect(oursIn(hostAfter)).toEqual(oursIn(hostBefore));
    expect(logs.filter((l) => l.includes('failed'))).toEqual([]);
  });
});

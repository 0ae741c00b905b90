/**
 * The local load balancer provider against real sockets: a forwarder on 127.0.0.1 per TCP port (the Service port
 * when free, another one when not), traffic reaching a real TCP server named by an EndpointSlice, and delete()
 * closing the forwarders.
 */
import { connect, createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryApi, type ClusterApi } from '../../functions/controllers/api-port.ts';
import type { LoadBalancerSpec } from '../../functions/cloud/load-balancer-provider.ts';
import { LocalLoadBalancerProvider, localBackends } from '../../local/load-balancer.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { freePort } from '../support/cluster.ts';

let api: ClusterApi;
let provider: LocalLoadBalancerProvider;
const servers: Server[] = [];

/** A TCP server that answers every connection with `hello from <name>` and closes. */
async function greeter(name: string): Promise<number> {
  const server = createServer((socket) => socket.end(`hello from ${name}\n`));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function read(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

async function slice(name: string, endpoints: { ip: string; port: number; ready?: boolean }[]): Promise<void> {
  await api.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: endpoints[0].port }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
  });
}

const spec = (port: number, name = 'web'): LoadBalancerSpec => ({
  service: { namespace: 'default', name, uid: `uid-${name}` },
  scheme: 'internet-facing',
  ports: [{ name: 'http', protocol: 'TCP', port, nodePort: 30080, targetPort: 8080 }],
  targets: [],
});

beforeEach(async () => {
  api = createRegistryApi({ store: new MemoryStore(), fieldManager: 'lb-test' });
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  provider = new LocalLoadBalancerProvider({ api, logger: pino({ level: 'silent' }) });
});

afterEach(async () => {
  await provider.close();
  for (const s of servers.splice(0)) s.close();
});

describe('Class: LocalLoadBalancerProvider', () => {
  it('listens on the Service port when it is free and forwards to a ready endpoint', async () => {
    const backend = await greeter('endpoint');
    await slice('web', [{ ip: '127.0.0.1', port: backend }]);
    const port = await freePort();
    await expect(provider.ensure(spec(port))).resolves.toEqual([{ ip: '127.0.0.1', ports: [{ port, protocol: 'TCP' }] }]);
    await expect(read(port)).resolves.toBe('hello from endpoint\n');
    // Ensuring again keeps the same forwarder and port.
    await expect(provider.ensure(spec(port))).resolves.toEqual([{ ip: '127.0.0.1', ports: [{ port, protocol: 'TCP' }] }]);
  });

  it('takes another port when the Service port is held by someone else', async () => {
    const taken = await greeter('squatter');
    const [ingress] = await provider.ensure(spec(taken));
    const used = ingress.ports?.[0].port;
    expect(used).toBeGreaterThan(0);
    expect(used).not.toBe(taken);
  });

  it('closes the connection when the Service has no ready endpoint, and closes the forwarder on delete', async () => {
    const backend = await greeter('not-ready');
    await slice('web', [{ ip: '127.0.0.1', port: backend, ready: false }]);
    const [ingress] = await provider.ensure(spec(0));
    const port = ingress.ports![0].port;
    await expect(read(port)).resolves.toBe('');
    await expect(provider.list()).resolves.toEqual([{ namespace: 'default', name: 'web', uid: 'uid-web' }]);
    await provider.delete({ namespace: 'default', name: 'web', uid: 'uid-web' });
    await expect(read(port)).rejects.toThrow(/ECONNREFUSED/);
    await expect(provider.list()).resolves.toEqual([]);
  });

  it('sends traffic to the NodePort on 127.0.0.1 once a real (not simulated) node is Ready', async () => {
    await slice('web', [{ ip: '10.0.0.9', port: 8080 }]);
    const web = spec(80).ports[0];
    await expect(localBackends(api, spec(80).service, web)).resolves.toEqual([{ host: '10.0.0.9', port: 8080 }]);
    await api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim', annotations: { 'zeroplane.dev/simulated': 'true' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await expect(localBackends(api, spec(80).service, web)).resolves.toEqual([{ host: '10.0.0.9', port: 8080 }]);
    await api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'real' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await expect(localBackends(api, spec(80).service, web)).resolves.toEqual([{ host: '127.0.0.1', port: 30080 }]);
  });
});

/**
 * A LoadBalancer Service on a local cluster through the real kubectl: it gets EXTERNAL-IP 127.0.0.1, and a TCP
 * connection to the forwarder reaches a TCP server of this test that stands in for the Service's endpoint (an
 * EndpointSlice pointing at it on loopback). Deleting the Service closes the forwarder.
 */
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCluster, type LocalCluster } from '../support/cluster.ts';

let cluster: LocalCluster;
let backend: Server;
let backendPort: number;

beforeAll(async () => {
  backend = createServer((socket) => socket.end('hello from the endpoint\n'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as { port: number }).port;
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  backend?.close();
});

function read(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('LoadBalancer Services on a local cluster', () => {
  it('get 127.0.0.1 as EXTERNAL-IP and forward to the endpoint', async () => {
    const servicePort = await freePort();
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ name: 'tcp', port: servicePort, targetPort: backendPort }] } },
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'edge-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'edge' } },
          addressType: 'IPv4',
          ports: [{ name: 'tcp', protocol: 'TCP', port: backendPort }],
          endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
        },
      ],
    });
    const applied = await cluster.kubectlWith(['apply', '-f', '-'], { input: manifest });
    expect(applied.stderr).toBe('');

    await expect
      .poll(async () => (await cluster.kubectl('get', 'svc', 'edge', '--no-headers')).stdout, { timeout: 30_000, interval: 250 })
      .toMatch(new RegExp(`^edge\\s+LoadBalancer\\s+\\S+\\s+127\\.0\\.0\\.1\\s+${servicePort}:\\d+/TCP`));
    const status = JSON.parse((await cluster.kubectl('get', 'svc', 'edge', '-o', 'jsonpath={.status.loadBalancer.ingress}')).stdout) as { ip: string; ports: { port: number; protocol: string }[] }[];
    expect(status).toEqual([{ ip: '127.0.0.1', ports: [{ port: servicePort, protocol: 'TCP' }] }]);
    expect((await cluster.kubectl('get', 'svc', 'edge', '-o', 'jsonpath={.metadata.finalizers}')).stdout).toContain('service.kubernetes.io/load-balancer-cleanup');

    await expect(read(servicePort)).resolves.toBe('hello from the endpoint\n');

    const deleted = await cluster.kubectl('delete', 'svc', 'edge', '--wait=true', '--timeout=30s');
    expect(deleted.stdout).toContain('service "edge" deleted');
    await expect.poll(() => read(servicePort).then(() => 'open', () => 'closed'), { timeout: 10_000 }).toBe('closed');
  });
});

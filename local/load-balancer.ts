/**
 * LoadBalancerProvider for a local cluster: each TCP port of a LoadBalancer Service gets a forwarder on 127.0.0.1,
 * and the Service's status.loadBalancer.ingress says `ip: 127.0.0.1` with the ports actually listened on.
 *
 * Which port: the Service port itself when it is free (so `curl 127.0.0.1:<port>` works as on a cloud), else a free
 * one the kernel picks (two Services on port 80, or a port some other program holds): ingress[].ports[] then tells
 * the port used. A forwarder keeps its port for as long as it lives, so the status does not churn.
 *
 * Where to: decided per connection, so endpoint changes need no reconcile. With a real node on this machine (Ready,
 * not simulated) the NodePort on 127.0.0.1, as a cloud load balancer targets the nodes; otherwise straight to a
 * ready endpoint of the Service (EndpointSlices), round-robin. UDP ports are not forwarded locally.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { EndpointSlice } from '../shared/api/kinds/endpointslice.ts';
import type { Node } from '../shared/api/kinds/node.ts';
import type { ClusterApi } from '../functions/controllers/api-port.ts';
import { SERVICE_NAME_LABEL } from '../functions/controllers/endpoints.ts';
import type { LoadBalancerIngress, LoadBalancerPort, LoadBalancerProvider, LoadBalancerSpec, ServiceIdentity } from '../functions/cloud/load-balancer-provider.ts';
import { isNodeReady } from '../functions/cloud/provider-id.ts';
import { SIMULATED_ANNOTATION } from './simulated-nodes.ts';

export interface LocalLoadBalancerOptions {
  api: ClusterApi;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Try the Service port before a kernel-chosen one. Default true. */
  preferServicePort?: boolean;
}

export interface Backend {
  host: string;
  port: number;
}

interface Forwarder {
  server: Server;
  port: number;
  spec: LoadBalancerPort;
  sockets: Set<Socket>;
  next: number;
}

interface Balancer {
  service: ServiceIdentity;
  forwarders: Map<number, Forwarder>;
}

/** Where one Service port's traffic goes right now. */
export async function localBackends(api: ClusterApi, service: ServiceIdentity, port: LoadBalancerPort): Promise<Backend[]> {
  const nodes = await api.list<Node>('core/nodes');
  if (nodes.items.some((n) => isNodeReady(n) && n.metadata.annotations?.[SIMULATED_ANNOTATION] !== 'true')) {
    return [{ host: '127.0.0.1', port: port.nodePort }];
  }
  const slices = await api.list<EndpointSlice>('discovery.k8s.io/endpointslices', service.namespace, (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service.name);
  const out: Backend[] = [];
  for (const slice of slices.items) {
    if (slice.addressType !== 'IPv4') continue;
    const target = (slice.ports ?? []).find((p) => (p.name ?? '') === port.name && (p.protocol ?? 'TCP') === port.protocol);
    if (!target?.port) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) out.push({ host: address, port: target.port });
    }
  }
  return out;
}

export class LocalLoadBalancerProvider implements LoadBalancerProvider {
  private readonly balancers = new Map<string, Balancer>();
  private readonly host: string;

  constructor(private readonly options: LocalLoadBalancerOptions) {
    this.host = options.host ?? '127.0.0.1';
  }

  async ensure(spec: LoadBalancerSpec): Promise<LoadBalancerIngress[]> {
    let balancer = this.balancers.get(spec.service.uid);
    if (!balancer) this.balancers.set(spec.service.uid, (balancer = { service: spec.service, forwarders: new Map() }));
    const tcp = spec.ports.filter((p) => p.protocol === 'TCP');
    const wanted = new Set(tcp.map((p) => p.port));
    for (const [port, forwarder] of balancer.forwarders) {
      if (!wanted.has(port)) {
        await closeForwarder(forwarder);
        balancer.forwarders.delete(port);
      }
    }
    for (const port of tcp) {
      const existing = balancer.forwarders.get(port.port);
      if (existing) existing.spec = port;
      else balancer.forwarders.set(port.port, await this.startForwarder(spec.service, port));
    }
    const ports = tcp.map((p) => ({ port: balancer.forwarders.get(p.port)!.port, protocol: 'TCP' }));
    return ports.length ? [{ ip: this.host, ports }] : [];
  }

  async delete(service: ServiceIdentity): Promise<void> {
    const balancer = this.balancers.get(service.uid);
    if (!balancer) return;
    await Promise.all([...balancer.forwarders.values()].map(closeForwarder));
    this.balancers.delete(service.uid);
  }

  async list(): Promise<ServiceIdentity[]> {
    return [...this.balancers.values()].map((b) => b.service);
  }

  /** Closes every forwarder (the cluster is stopping). */
  async close(): Promise<void> {
    await Promise.all([...this.balancers.values()].map((b) => this.delete(b.service)));
  }

  private async startForwarder(service: ServiceIdentity, spec: LoadBalancerPort): Promise<Forwarder> {
    const sockets = new Set<Socket>();
    const forwarder: Forwarder = { server: createServer(), port: 0, spec, sockets, next: 0 };
    forwarder.server.on('connection', (client) => void this.forward(service, forwarder, client));
    const preferred = this.options.preferServicePort ?? true;
    forwarder.port = preferred ? await listen(forwarder.server, this.host, spec.port).catch(() => listen(forwarder.server, this.host, 0)) : await listen(forwarder.server, this.host, 0);
    this.options.logger.info({ namespace: service.namespace, name: service.name, port: spec.port, listening: forwarder.port }, 'load balancer forwarder started');
    return forwarder;
  }

  private async forward(service: ServiceIdentity, forwarder: Forwarder, client: Socket): Promise<void> {
    forwarder.sockets.add(client);
    client.on('close', () => forwarder.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    let backends: Backend[];
    try {
      backends = await localBackends(this.options.api, service, forwarder.spec);
    } catch (err) {
      this.options.logger.warn({ err, namespace: service.namespace, name: service.name }, 'load balancer could not look up backends');
      backends = [];
    }
    if (backends.length === 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = backends[forwarder.next++ % backends.length];
    const upstream = connect({ host: backend.host, port: backend.port });
    forwarder.sockets.add(upstream);
    upstream.on('close', () => forwarder.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function closeForwarder(forwarder: Forwarder): Promise<void> {
  for (const socket of forwarder.sockets) socket.destroy();
  await new Promise<void>((resolve) => forwarder.server.close(() => resolve()));
}

/** Builders for the API objects node-agent tests feed to the pure functions, parsed through the real schemas. */
import { EndpointSliceSchema, type EndpointSlice } from '../../../shared/api/kinds/endpointslice.ts';
import { PodSchema, type Pod } from '../../../shared/api/kinds/pod.ts';
import { ServiceSchema, type Service } from '../../../shared/api/kinds/service.ts';

export function service(namespace: string, name: string, spec: Record<string, unknown>): Service {
  return ServiceSchema.parse({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });
}

export interface EndpointInput {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  hostname?: string;
}

export function endpointSlice(
  namespace: string,
  serviceName: string,
  ports: Array<{ name?: string; port: number; protocol?: string }>,
  endpoints: EndpointInput[],
  sliceName = `${serviceName}-x1`,
): EndpointSlice {
  return EndpointSliceSchema.parse({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: endpoints.map((e) => {
      const conditions: Record<string, boolean> = {};
      if (e.ready !== undefined) conditions.ready = e.ready;
      if (e.serving !== undefined) conditions.serving = e.serving;
      if (e.terminating !== undefined) conditions.terminating = e.terminating;
      return { addresses: [e.ip], conditions, ...(e.hostname ? { hostname: e.hostname } : {}) };
    }),
  });
}

export function pod(spec: Record<string, unknown>, extra: { metadata?: Record<string, unknown>; status?: Record<string, unknown> } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'aaaaaaaa-1111-2222-3333-444444444444', generation: 1, ...extra.metadata },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  });
}

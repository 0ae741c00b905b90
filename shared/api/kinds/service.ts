/**
 * core/v1 Service. Defaults and validation only; clusterIP/nodePort allocation needs the store and lives with the
 * apiserver (it must also copy allocated values from the old object before validate runs on update).
 */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, formatLabels, nameColumn } from '../table-format.ts';
import {
  fieldErrors,
  invalidIPDetail,
  isDNS1123Subdomain,
  isValidIP,
  isValidPortName,
  isDNS1123Label,
  isValidPortNum,
  nameValidators,
  validateLabels,
} from '../validation.ts';
import { ConditionSchema, defineKind, IntOrStringSchema, objectShape, statusSubresource, StringMapSchema, type Json } from './meta.ts';

export const ServicePortSchema = z.looseObject({
  name: z.string().optional(),
  protocol: z.string().optional(),
  appProtocol: z.string().optional(),
  port: z.number().int(),
  targetPort: IntOrStringSchema.optional(),
  nodePort: z.number().int().optional(),
});
export type ServicePort = z.infer<typeof ServicePortSchema>;

export const ServiceSchema = z.looseObject({
  ...objectShape('v1', 'Service'),
  spec: z
    .looseObject({
      ports: z.array(ServicePortSchema).optional(),
      selector: StringMapSchema.optional(),
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).optional(),
      type: z.string().optional(),
      externalIPs: z.array(z.string()).optional(),
      sessionAffinity: z.string().optional(),
      loadBalancerIP: z.string().optional(),
      externalName: z.string().optional(),
      externalTrafficPolicy: z.string().optional(),
      internalTrafficPolicy: z.string().optional(),
      ipFamilies: z.array(z.string()).optional(),
      ipFamilyPolicy: z.string().optional(),
      allocateLoadBalancerNodePorts: z.boolean().optional(),
      publishNotReadyAddresses: z.boolean().optional(),
    })
    .optional(),
  status: z
    .looseObject({
      loadBalancer: z
        .looseObject({
          ingress: z.array(z.looseObject({ ip: z.string().optional(), hostname: z.string().optional() })).optional(),
        })
        .optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type Service = z.infer<typeof ServiceSchema>;

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function applyServiceDefaults(obj: Json): void {
  const spec = (obj.spec ??= {});
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of (spec.ports ?? []) as Json[]) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ||= 'Cluster';
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ||= 'Cluster';
    spec.ipFamilyPolicy ||= 'SingleStack';
    if (!spec.ipFamilies?.length) spec.ipFamilies = [spec.clusterIP && spec.clusterIP !== 'None' && spec.clusterIP.includes(':') ? 'IPv6' : 'IPv4'];
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
}

function validateService(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!SERVICE_TYPES.includes(spec.type)) errs.push(fieldErrors.notSupported('spec.type', spec.type, SERVICE_TYPES));
  const ports = (spec.ports ?? []) as Json[];
  const headless = spec.clusterIP === 'None';
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(fieldErrors.required('spec.externalName'));
    else for (const m of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))) errs.push(fieldErrors.invalid('spec.externalName', spec.externalName, m));
  } else if (ports.length === 0 && !headless) {
    errs.push(fieldErrors.required('spec.ports'));
  }
  const names = new Set<string>();
  const portProto = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(fieldErrors.required(`${path}.name`));
    if (p.name) {
      // Service port names are DNS-1123 labels (apiserver's validateServicePort), not IANA service names as
      // container ports are: `kubectl create service clusterip web --tcp 80:8080` names its port "80-8080".
      for (const m of isDNS1123Label(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, m));
      if (names.has(p.name)) errs.push(fieldErrors.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(fieldErrors.invalid(`${path}.port`, p.port, m));
    if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (typeof p.targetPort === 'number') for (const m of isValidPortNum(p.targetPort)) errs.push(fieldErrors.invalid(`${path}.targetPort`, p.targetPort, m));
    if (typeof p.targetPort === 'string') for (const m of isValidPortName(p.targetPort)) errs.push(fieldErrors.invalid(`${path}.targetPort`, p.targetPort, m));
    if (p.nodePort) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') {
        errs.push(fieldErrors.forbidden(`${path}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
      } else for (const m of isValidPortNum(p.nodePort)) errs.push(fieldErrors.invalid(`${path}.nodePort`, p.nodePort, m));
    }
    const key = `${p.port}/${p.protocol}`;
    if (portProto.has(key)) errs.push(fieldErrors.duplicate(path, { port: p.port, protocol: p.protocol }));
    portProto.add(key);
  });
  if (spec.clusterIP && spec.clusterIP !== 'None' && !isValidIP(spec.clusterIP)) {
    errs.push(fieldErrors.invalid('spec.clusterIPs[0]', spec.clusterIP, invalidIPDetail()));
  }
  if (spec.clusterIP && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
  }
  (spec.externalIPs ?? []).forEach((ip: string, i: number) => {
    if (!isValidIP(ip)) errs.push(fieldErrors.invalid(`spec.externalIPs[${i}]`, ip, invalidIPDetail()));
  });
  for (const [field, allowed] of [
    ['sessionAffinity', ['ClientIP', 'None']],
    ['externalTrafficPolicy', ['Cluster', 'Local']],
    ['internalTrafficPolicy', ['Cluster', 'Local']],
    ['ipFamilyPolicy', ['SingleStack', 'PreferDualStack', 'RequireDualStack']],
  ] as const) {
    if (spec[field] && !(allowed as readonly string[]).includes(spec[field])) errs.push(fieldErrors.notSupported(`spec.${field}`, spec[field], allowed));
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (old) {
    const oldIP = old.spec?.clusterIP;
    const wasExternalName = old.spec?.type === 'ExternalName';
    if (!wasExternalName && spec.type !== 'ExternalName' && oldIP && spec.clusterIP && oldIP !== spec.clusterIP) {
      errs.push(fieldErrors.invalid('spec.clusterIPs[0]', spec.clusterIPs ?? [spec.clusterIP], 'may not change once set'));
    }
  }
  return errs;
}

function loadBalancerIngress(svc: Service): string {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean).join(',');
}

/** getServiceExternalIP from printers.go (server-side printing is always "wide", so no truncation). */
export function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc);
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

export const services = defineKind({
  group: '',
  version: 'v1',
  resource: 'services',
  kind: 'Service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  subresources: [
    { name: 'proxy', group: '', version: 'v1', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    statusSubresource('', 'v1', 'Service'),
  ],
  schema: ServiceSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: false,
    name: nameValidators.dns1035Label,
    applyDefaults: applyServiceDefaults,
    validate: validateService,
  },
  table: {
    columns: [
      nameColumn,
      column('Type', 'type determines how the Service is exposed.'),
      column('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      column('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      column('Port(s)', 'The list of ports that are exposed by this service.'),
      ageColumn,
      column('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { wide: true }),
    ],
    cells: (obj, now) => {
      const svc = obj as Service;
      return [
        svc.metadata.name,
        svc.spec?.type ?? '',
        svc.spec?.clusterIPs?.[0] ?? svc.spec?.clusterIP ?? '<none>',
        serviceExternalIP(svc),
        servicePorts(svc),
        age(svc.metadata.creationTimestamp, now),
        formatLabels(svc.spec?.selector),
      ];
    },
  },
});

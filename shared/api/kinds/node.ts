/** core/v1 Node: cluster-scoped; STATUS `Ready,SchedulingDisabled`, ROLES from node-role labels. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, nameValidators, validateResourceQuantity } from '../validation.ts';
import { ConditionSchema, defineKind, objectShape, QuantitySchema, statusSubresource, str, type Json } from './meta.ts';
import { TolerationSchema } from './pod-spec.ts';

export const NodeSchema = z.looseObject({
  ...objectShape('v1', 'Node'),
  spec: z
    .looseObject({
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).optional(),
      providerID: z.string().optional(),
      unschedulable: z.boolean().optional(),
      taints: z.array(TolerationSchema.extend({ key: z.string(), effect: z.string(), timeAdded: z.string().nullable().optional() })).optional(),
    })
    .optional(),
  status: z
    .looseObject({
      capacity: z.record(z.string(), QuantitySchema).optional(),
      allocatable: z.record(z.string(), QuantitySchema).optional(),
      phase: z.string().optional(),
      conditions: z.array(ConditionSchema).optional(),
      addresses: z.array(z.looseObject({ type: z.string(), address: z.string() })).optional(),
      daemonEndpoints: z.looseObject({}).optional(),
      nodeInfo: z
        .looseObject({
          machineID: z.string().optional(),
          kernelVersion: z.string().optional(),
          osImage: z.string().optional(),
          containerRuntimeVersion: z.string().optional(),
          kubeletVersion: z.string().optional(),
          kubeProxyVersion: z.string().optional(),
          operatingSystem: z.string().optional(),
          architecture: z.string().optional(),
        })
        .optional(),
      images: z.array(z.looseObject({})).optional(),
    })
    .optional(),
});
export type Node = z.infer<typeof NodeSchema>;

const ROLE_PREFIX = 'node-role.kubernetes.io/';

export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

export function nodeStatusCell(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

function validateNode(obj: Json): FieldError[] {
  const errs: FieldError[] = [];
  for (const kind of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries((obj.status?.[kind] ?? {}) as Record<string, unknown>)) errs.push(...validateResourceQuantity(v, `status.${kind}[${k}]`));
  }
  ((obj.spec?.taints ?? []) as Json[]).forEach((t, i) => {
    if (!t.key) errs.push(fieldErrors.required(`spec.taints[${i}].key`));
    if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(fieldErrors.notSupported(`spec.taints[${i}].effect`, t.effect ?? '', ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return errs;
}

const unknownIfEmpty = (s: string | undefined) => s || '<unknown>';

export const nodes = defineKind({
  group: '',
  version: 'v1',
  resource: 'nodes',
  kind: 'Node',
  namespaced: false,
  shortNames: ['no'],
  subresources: [
    { name: 'proxy', group: '', version: 'v1', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    statusSubresource('', 'v1', 'Node'),
  ],
  schema: NodeSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: false,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      if (obj.status?.capacity && !obj.status.allocatable) obj.status.allocatable = { ...obj.status.capacity };
    },
    validate: validateNode,
  },
  table: {
    columns: [
      nameColumn,
      column('Status', 'The status of the node'),
      column('Roles', 'The roles of the node'),
      ageColumn,
      column('Version', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'List of addresses reachable to the node.', { wide: true }),
      column('External-IP', 'List of addresses reachable to the node.', { wide: true }),
      column('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { wide: true }),
      column('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { wide: true }),
      column('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { wide: true }),
    ],
    cells: (obj, now) => {
      const n = obj as Node;
      const info = n.status?.nodeInfo ?? {};
      const roles = nodeRoles(n).join(',');
      return [
        n.metadata.name,
        nodeStatusCell(n),
        roles || '<none>',
        age(n.metadata.creationTimestamp, now),
        info.kubeletVersion ?? '',
        address(n, 'InternalIP'),
        address(n, 'ExternalIP'),
        unknownIfEmpty(info.osImage),
        unknownIfEmpty(info.kernelVersion),
        unknownIfEmpty(info.containerRuntimeVersion),
      ];
    },
  },
  selectableFields: (n) => ({ 'spec.unschedulable': String(n.spec?.unschedulable === true) }),
});

/** discovery.k8s.io/v1 EndpointSlice: addressType immutable, ports default to TCP. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, invalidIPDetail, isValidIP, isValidPortNum, nameValidators, validateImmutable } from '../validation.ts';
import { defineKind, objectShape, type Json } from './meta.ts';

export const EndpointSliceSchema = z.looseObject({
  ...objectShape('discovery.k8s.io/v1', 'EndpointSlice'),
  addressType: z.string(),
  endpoints: z
    .array(
      z.looseObject({
        addresses: z.array(z.string()),
        conditions: z.looseObject({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).optional(),
        hostname: z.string().optional(),
        targetRef: z.looseObject({}).optional(),
        nodeName: z.string().optional(),
        zone: z.string().optional(),
      }),
    )
    .optional()
    .nullable(),
  ports: z
    .array(z.looseObject({ name: z.string().optional(), protocol: z.string().optional(), port: z.number().int().optional(), appProtocol: z.string().optional() }))
    .optional()
    .nullable(),
});
export type EndpointSlice = z.infer<typeof EndpointSliceSchema>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validateEndpointSlice(obj: Json, old?: Json): FieldError[] {
  const errs: FieldError[] = [];
  if (!obj.addressType) errs.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(obj.addressType)) errs.push(fieldErrors.notSupported('addressType', obj.addressType, ADDRESS_TYPES));
  ((obj.endpoints ?? []) as Json[]).forEach((ep, i) => {
    const addrs = (ep.addresses ?? []) as string[];
    if (addrs.length === 0) errs.push(fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    addrs.forEach((a, j) => {
      if ((obj.addressType === 'IPv4' || obj.addressType === 'IPv6') && !isValidIP(a)) errs.push(fieldErrors.invalid(`endpoints[${i}].addresses[${j}]`, a, invalidIPDetail()));
    });
  });
  ((obj.ports ?? []) as Json[]).forEach((p, i) => {
    if (p.port !== undefined) for (const m of isValidPortNum(p.port)) errs.push(fieldErrors.invalid(`ports[${i}].port`, p.port, m));
  });
  if (old) errs.push(...validateImmutable('addressType', obj.addressType, old.addressType));
  return errs;
}

/** listWithMoreString: three items, then ` + N more...`; `<unset>` when empty. */
function listWithMore(items: string[]): string {
  const max = 3;
  const shown = items.slice(0, max).join(',');
  if (items.length > max) return `${shown} + ${items.length - max} more...`;
  return shown || '<unset>';
}

export const endpointslices = defineKind({
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
  schema: EndpointSliceSchema,
  strategy: {
    hasStatusSubresource: false,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      for (const p of (obj.ports ?? []) as Json[]) {
        p.protocol ||= 'TCP';
        p.name ??= '';
      }
    },
    validate: validateEndpointSlice,
    // EndpointSlices have no spec; Kubernetes bumps generation when endpoints, ports or addressType change.
    specChanged: (obj, old) =>
      JSON.stringify([obj.addressType, obj.endpoints, obj.ports]) !== JSON.stringify([old.addressType, old.endpoints, old.ports]),
  },
  table: {
    columns: [
      nameColumn,
      column('AddressType', 'The IP protocol for this slice'),
      column('Ports', 'The ports contained in this slice'),
      column('Endpoints', 'The endpoints contained in this slice'),
      ageColumn,
    ],
    cells: (obj, now) => {
      const s = obj as EndpointSlice;
      const ports = (s.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name || '*'));
      const addrs = (s.endpoints ?? []).flatMap((e) => e.addresses ?? []);
      return [s.metadata.name, s.addressType, listWithMore(ports), listWithMore(addrs), age(s.metadata.creationTimestamp, now)];
    },
  },
});

/** core/v1 Endpoints: written by the endpoints controller; printed as `ip:port` lists. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, invalidIPDetail, isValidIP, isValidPortName, isValidPortNum, nameValidators } from '../validation.ts';
import { defineKind, objectShape, type Json } from './meta.ts';

const EndpointAddressSchema = z.looseObject({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: z.looseObject({}).optional(),
});
export const EndpointSubsetSchema = z.looseObject({
  addresses: z.array(EndpointAddressSchema).optional(),
  notReadyAddresses: z.array(EndpointAddressSchema).optional(),
  ports: z
    .array(z.looseObject({ name: z.string().optional(), port: z.number().int(), protocol: z.string().optional(), appProtocol: z.string().optional() }))
    .optional(),
});
export const EndpointsSchema = z.looseObject({
  ...objectShape('v1', 'Endpoints'),
  subsets: z.array(EndpointSubsetSchema).optional(),
});
export type Endpoints = z.infer<typeof EndpointsSchema>;

/** formatEndpoints from printers.go: at most three `ip:port`, then ` + N more...`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports?.length) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip.includes(':') ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
      }
    }
  }
  const joined = list.join(',');
  if (more) return `${joined} + ${count - max} more...`;
  return joined || '<none>';
}

function validateEndpoints(obj: Json): FieldError[] {
  const errs: FieldError[] = [];
  ((obj.subsets ?? []) as Json[]).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    for (const key of ['addresses', 'notReadyAddresses']) {
      ((ss[key] ?? []) as Json[]).forEach((a, j) => {
        if (!isValidIP(a.ip ?? '')) errs.push(fieldErrors.invalid(`${p}.${key}[${j}].ip`, a.ip ?? '', invalidIPDetail()));
      });
    }
    ((ss.ports ?? []) as Json[]).forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if ((ss.ports as Json[]).length > 1 && !port.name) errs.push(fieldErrors.required(`${pp}.name`));
      if (port.name) for (const m of isValidPortName(port.name)) errs.push(fieldErrors.invalid(`${pp}.name`, port.name, m));
      for (const m of isValidPortNum(port.port)) errs.push(fieldErrors.invalid(`${pp}.port`, port.port, m));
    });
  });
  return errs;
}

export const endpoints = defineKind({
  group: '',
  version: 'v1',
  resource: 'endpoints',
  kind: 'Endpoints',
  namespaced: true,
  shortNames: ['ep'],
  schema: EndpointsSchema,
  strategy: {
    hasStatusSubresource: false,
    tracksGeneration: false,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      for (const ss of (obj.subsets ?? []) as Json[]) for (const p of (ss.ports ?? []) as Json[]) p.protocol ||= 'TCP';
    },
    validate: validateEndpoints,
  },
  table: {
    columns: [nameColumn, column('Endpoints', 'The set of all endpoints is the union of all subsets.'), ageColumn],
    cells: (obj, now) => [obj.metadata.name, formatEndpoints(obj as Endpoints), age(obj.metadata.creationTimestamp, now)],
  },
});

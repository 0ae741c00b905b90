/** coordination.k8s.io/v1 Lease: node heartbeats (kube-node-lease) and leader election. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { nameValidators, validatePositive, validateNonnegative } from '../validation.ts';
import { defineKind, objectShape, type Json } from './meta.ts';

export const LeaseSchema = z.looseObject({
  ...objectShape('coordination.k8s.io/v1', 'Lease'),
  spec: z
    .looseObject({
      holderIdentity: z.string().optional(),
      leaseDurationSeconds: z.number().int().optional(),
      acquireTime: z.string().nullable().optional(),
      renewTime: z.string().nullable().optional(),
      leaseTransitions: z.number().int().optional(),
      strategy: z.string().optional(),
      preferredHolder: z.string().optional(),
    })
    .optional(),
});
export type Lease = z.infer<typeof LeaseSchema>;

function validateLease(obj: Json): FieldError[] {
  return [
    ...validatePositive(obj.spec?.leaseDurationSeconds, 'spec.leaseDurationSeconds'),
    ...validateNonnegative(obj.spec?.leaseTransitions, 'spec.leaseTransitions'),
  ];
}

export const leases = defineKind({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
  schema: LeaseSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain, validate: validateLease },
  table: {
    columns: [nameColumn, column('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn],
    cells: (obj, now) => {
      const l = obj as Lease;
      return [l.metadata.name, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp, now)];
    },
  },
});

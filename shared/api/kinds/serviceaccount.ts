/** core/v1 ServiceAccount (+token subresource for `kubectl create token`). */
import { z } from 'zod';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';

export const ServiceAccountSchema = z.looseObject({
  ...objectShape('v1', 'ServiceAccount'),
  secrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

export const serviceaccounts = defineKind({
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
  shortNames: ['sa'],
  subresources: [{ name: 'token', group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }],
  schema: ServiceAccountSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain },
  table: {
    columns: [nameColumn, column('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
    cells: (obj, now) => {
      const sa = obj as ServiceAccount;
      return [sa.metadata.name, (sa.secrets ?? []).length, age(sa.metadata.creationTimestamp, now)];
    },
  },
});

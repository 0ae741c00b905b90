/** core/v1 Secret: type Opaque by default, type immutable, per-type required keys. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, nameValidators } from '../validation.ts';
import { validateDataKeys, validateImmutableData } from './configmap.ts';
import { defineKind, objectShape, str, StringMapSchema, type Json } from './meta.ts';

export const SecretSchema = z.looseObject({
  ...objectShape('v1', 'Secret'),
  data: StringMapSchema.optional(),
  stringData: StringMapSchema.optional(),
  type: z.string().optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof SecretSchema>;

const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

function validateSecret(obj: Json, old?: Json): FieldError[] {
  const errs = validateDataKeys(obj.data, 'data');
  const keys = new Set([...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]);
  for (const k of REQUIRED_KEYS[obj.type] ?? []) if (!keys.has(k)) errs.push(fieldErrors.required(`data[${k}]`));
  if (obj.type === 'kubernetes.io/service-account-token' && !obj.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (obj.type === 'kubernetes.io/basic-auth' && !keys.has('username') && !keys.has('password')) {
    errs.push(fieldErrors.required('data[username]'));
  }
  if (old && (old.type ?? 'Opaque') !== obj.type) errs.push(fieldErrors.invalid('type', obj.type, 'field is immutable'));
  errs.push(...validateImmutableData(obj, old, ['data']));
  return errs;
}

export const secrets = defineKind({
  group: '',
  version: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  namespaced: true,
  schema: SecretSchema,
  strategy: {
    hasStatusSubresource: false,
    tracksGeneration: false,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      obj.type ||= 'Opaque';
      // stringData is write-only: the apiserver folds it into data (base64) and never stores it.
      if (obj.stringData) {
        obj.data ??= {};
        for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(v, 'utf8').toString('base64');
        delete obj.stringData;
      }
    },
    validate: validateSecret,
  },
  table: {
    columns: [nameColumn, column('Type', 'Used to facilitate programmatic handling of secret data.'), column('Data', 'Data contains the secret data.'), ageColumn],
    cells: (obj, now) => {
      const s = obj as Secret;
      return [s.metadata.name, s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata.creationTimestamp, now)];
    },
  },
  selectableFields: (s) => ({ type: str(s.type) }),
});

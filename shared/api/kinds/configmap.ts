/** core/v1 ConfigMap: no spec, so generation never moves; `immutable: true` freezes data. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { canonicalJson, fieldErrors, isConfigMapKey, nameValidators } from '../validation.ts';
import { defineKind, objectShape, StringMapSchema, type Json } from './meta.ts';

export const ConfigMapSchema = z.looseObject({
  ...objectShape('v1', 'ConfigMap'),
  data: StringMapSchema.optional(),
  binaryData: StringMapSchema.optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof ConfigMapSchema>;

const MAX_SIZE = 1024 * 1024;

/** Key checks shared by ConfigMaps and Secrets. */
export function validateDataKeys(data: Record<string, string> | undefined, path: string, other?: Record<string, string>, otherName?: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(data ?? {})) {
    for (const m of isConfigMapKey(key)) errs.push(fieldErrors.invalid(`${path}[${key}]`, key, m));
    if (other && key in other) errs.push(fieldErrors.invalid(`${path}[${key}]`, key, `duplicate of key present in ${otherName}`));
  }
  return errs;
}

/** `immutable: true` objects: data and the flag itself are frozen. */
export function validateImmutableData(obj: Json, old: Json | undefined, dataFields: string[]): FieldError[] {
  if (!old?.immutable) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of dataFields) {
    if (canonicalJson(obj[f] ?? {}) !== canonicalJson(old[f] ?? {})) errs.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

function validateConfigMap(obj: Json, old?: Json): FieldError[] {
  const errs = [...validateDataKeys(obj.data, 'data'), ...validateDataKeys(obj.binaryData, 'binaryData', obj.data, 'data')];
  let size = 0;
  for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) size += k.length + v.length;
  for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) size += k.length + Math.floor((v.length * 3) / 4);
  if (size > MAX_SIZE) errs.push({ field: '', reason: 'FieldValueTooLong', message: `Too long: must have at most ${MAX_SIZE} bytes` });
  errs.push(...validateImmutableData(obj, old, ['data', 'binaryData']));
  return errs;
}

export const configmaps = defineKind({
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
  schema: ConfigMapSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain, validate: validateConfigMap },
  table: {
    columns: [nameColumn, column('Data', 'Data contains the configuration data.'), ageColumn],
    cells: (obj, now) => {
      const cm = obj as ConfigMap;
      return [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm.metadata.creationTimestamp, now)];
    },
  },
});

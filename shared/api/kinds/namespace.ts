/** core/v1 Namespace: cluster-scoped; `kubernetes` finalizer and phase Active by default. */
import { z } from 'zod';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { fieldErrors, isQualifiedName, nameValidators } from '../validation.ts';
import { ConditionSchema, defineKind, objectShape, statusSubresource, str } from './meta.ts';

export const NamespaceSchema = z.looseObject({
  ...objectShape('v1', 'Namespace'),
  spec: z.looseObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.looseObject({ phase: z.string().optional(), conditions: z.array(ConditionSchema).optional() }).optional(),
});
export type Namespace = z.infer<typeof NamespaceSchema>;

export const namespaces = defineKind({
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  shortNames: ['ns'],
  subresources: [
    { name: 'finalize', group: '', version: 'v1', kind: 'Namespace', verbs: ['update'] },
    statusSubresource('', 'v1', 'Namespace'),
  ],
  schema: NamespaceSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: false,
    name: nameValidators.dnsLabel,
    applyDefaults(obj) {
      obj.spec ??= {};
      obj.spec.finalizers ??= ['kubernetes'];
      obj.status ??= {};
      obj.status.phase ||= 'Active';
    },
    validate(obj) {
      return ((obj.spec?.finalizers ?? []) as string[]).flatMap((f, i) => {
        const errs = isQualifiedName(f).map((m) => fieldErrors.invalid(`spec.finalizers[${i}]`, f, m));
        if (!errs.length && !f.includes('/') && f !== 'kubernetes') {
          errs.push(fieldErrors.invalid(`spec.finalizers[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
        }
        return errs;
      });
    },
  },
  table: {
    columns: [nameColumn, column('Status', 'The status of the namespace'), ageColumn],
    cells: (obj, now) => {
      const ns = obj as Namespace;
      return [ns.metadata.name, ns.status?.phase ?? '', age(ns.metadata.creationTimestamp, now)];
    },
  },
  selectableFields: (ns) => ({ 'status.phase': str(ns.status?.phase) }),
});

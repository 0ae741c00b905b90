/** Shared pieces of the four rbac.authorization.k8s.io/v1 kinds: rules, subjects, roleRef, and their tables. */
import { z } from 'zod';
import type { FieldError, TableSpec } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn } from '../table-format.ts';
import { canonicalJson, fieldErrors, nameValidators } from '../validation.ts';
import { LabelSelectorSchema, objectShape, type Json, type KindStrategy } from './meta.ts';

export const PolicyRuleSchema = z.looseObject({
  verbs: z.array(z.string()),
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
});
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

export const SubjectSchema = z.looseObject({
  kind: z.string(),
  apiGroup: z.string().optional(),
  name: z.string(),
  namespace: z.string().optional(),
});
export const RoleRefSchema = z.looseObject({ apiGroup: z.string(), kind: z.string(), name: z.string() });
export const AggregationRuleSchema = z.looseObject({ clusterRoleSelectors: z.array(LabelSelectorSchema).optional() });

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function validateRules(rules: Json[] | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  (rules ?? []).forEach((r, i) => {
    const p = `rules[${i}]`;
    if (!r.verbs?.length) errs.push(fieldErrors.required(`${p}.verbs`, 'verbs must contain at least one value'));
    if (r.nonResourceURLs?.length) {
      if (namespaced) errs.push(fieldErrors.invalid(`${p}.nonResourceURLs`, r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (r.apiGroups?.length || r.resources?.length) {
        errs.push(fieldErrors.invalid(`${p}.nonResourceURLs`, r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (!r.apiGroups?.length) errs.push(fieldErrors.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
    if (!r.resources?.length) errs.push(fieldErrors.required(`${p}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

export function defaultSubjects(obj: Json): void {
  for (const s of (obj.subjects ?? []) as Json[]) {
    if (s.apiGroup === undefined || s.apiGroup === '') s.apiGroup = s.kind === 'ServiceAccount' ? '' : s.kind === 'User' || s.kind === 'Group' ? RBAC_GROUP : s.apiGroup;
  }
}

export function validateBinding(obj: Json, old: Json | undefined, roleKinds: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  if (!roleKinds.includes(ref.kind)) errs.push(fieldErrors.notSupported('roleRef.kind', ref.kind ?? '', roleKinds));
  if (!ref.name) errs.push(fieldErrors.required('roleRef.name'));
  ((obj.subjects ?? []) as Json[]).forEach((s, i) => {
    const p = `subjects[${i}]`;
    if (!s.name) errs.push(fieldErrors.required(`${p}.name`));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.apiGroup) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, s.apiGroup, ['']));
        if (!s.namespace && !obj.metadata?.namespace) errs.push(fieldErrors.required(`${p}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
        break;
      default:
        errs.push(fieldErrors.notSupported(`${p}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old && canonicalJson(obj.roleRef) !== canonicalJson(old.roleRef)) {
    errs.push(fieldErrors.invalid('roleRef', obj.roleRef, 'cannot change roleRef'));
  }
  return errs;
}

/** RoleBinding and ClusterRoleBinding are the same object (subjects and a roleRef) under two kinds. */
export function bindingSchema<K extends string>(kind: K) {
  return z.looseObject({
    ...objectShape(`${RBAC_GROUP}/v1`, kind),
    subjects: z.array(SubjectSchema).optional(),
    roleRef: RoleRefSchema,
  });
}

/** Both binding kinds' strategy; they differ only in the kinds their roleRef may name. */
export function bindingStrategy(roleKinds: string[]): KindStrategy {
  return {
    hasStatusSubresource: false,
    tracksGeneration: false,
    name: nameValidators.pathSegment,
    applyDefaults: defaultSubjects,
    validate: (obj, old) => validateBinding(obj, old, roleKinds),
  };
}

/** The default Table (NAME, CREATED AT) the apiserver serves for kinds without a printer: Roles, ClusterRoles. */
export const createdAtTable: TableSpec = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 }],
  cells: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? ''],
};

function subjectNames(subjects: Json[] | undefined, kind: string): string {
  return (subjects ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
    .join(', ');
}

export function bindingTable(which: 'roleBinding' | 'clusterRoleBinding'): TableSpec {
  return {
    columns: [
      nameColumn,
      column('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      ageColumn,
      column('Users', `Users in the ${which}`, { wide: true }),
      column('Groups', `Groups in the ${which}`, { wide: true }),
      column('ServiceAccounts', `ServiceAccounts in the ${which}`, { wide: true }),
    ],
    cells: (obj, now) => {
      const b = obj as Json;
      return [
        b.metadata.name,
        `${b.roleRef?.kind}/${b.roleRef?.name}`,
        age(b.metadata.creationTimestamp, now),
        subjectNames(b.subjects, 'User'),
        subjectNames(b.subjects, 'Group'),
        subjectNames(b.subjects, 'ServiceAccount'),
      ];
    },
  };
}

/** rbac.authorization.k8s.io/v1 RoleBinding: roleRef (Role or ClusterRole) is immutable. */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { bindingTable, defaultSubjects, RoleRefSchema, SubjectSchema, validateBinding } from './rbac.ts';

export const RoleBindingSchema = z.looseObject({
  ...objectShape('rbac.authorization.k8s.io/v1', 'RoleBinding'),
  subjects: z.array(SubjectSchema).optional(),
  roleRef: RoleRefSchema,
});
export type RoleBinding = z.infer<typeof RoleBindingSchema>;

export const rolebindings = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'rolebindings',
  kind: 'RoleBinding',
  namespaced: true,
  schema: RoleBindingSchema,
  strategy: {
    hasStatusSubresource: false,
    tracksGeneration: false,
    name: nameValidators.pathSegment,
    applyDefaults: defaultSubjects,
    validate: (obj, old) => validateBinding(obj, old, ['Role', 'ClusterRole']),
  },
  table: bindingTable('roleBinding'),
});

/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: binds a ClusterRole cluster-wide; roleRef immutable. */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { bindingTable, defaultSubjects, RoleRefSchema, SubjectSchema, validateBinding } from './rbac.ts';

export const ClusterRoleBindingSchema = z.looseObject({
  ...objectShape('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
  subjects: z.array(SubjectSchema).optional(),
  roleRef: RoleRefSchema,
});
export type ClusterRoleBinding = z.infer<typeof ClusterRoleBindingSchema>;

export const clusterrolebindings = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
  schema: ClusterRoleBindingSchema,
  strategy: {
    hasStatusSubresource: false,
    tracksGeneration: false,
    name: nameValidators.pathSegment,
    applyDefaults: defaultSubjects,
    validate: (obj, old) => validateBinding(obj, old, ['ClusterRole']),
  },
  table: bindingTable('clusterRoleBinding'),
});

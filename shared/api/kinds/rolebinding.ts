/** rbac.authorization.k8s.io/v1 RoleBinding: roleRef (Role or ClusterRole) is immutable. */
import type { z } from 'zod';
import { defineKind } from './meta.ts';
import { bindingSchema, bindingStrategy, bindingTable } from './rbac.ts';

export const RoleBindingSchema = bindingSchema('RoleBinding');
export type RoleBinding = z.infer<typeof RoleBindingSchema>;

export const rolebindings = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'rolebindings',
  kind: 'RoleBinding',
  namespaced: true,
  schema: RoleBindingSchema,
  strategy: bindingStrategy(['Role', 'ClusterRole']),
  table: bindingTable('roleBinding'),
});

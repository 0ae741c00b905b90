/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: binds a ClusterRole cluster-wide; roleRef immutable. */
import type { z } from 'zod';
import { defineKind } from './meta.ts';
import { bindingSchema, bindingStrategy, bindingTable } from './rbac.ts';

export const ClusterRoleBindingSchema = bindingSchema('ClusterRoleBinding');
export type ClusterRoleBinding = z.infer<typeof ClusterRoleBindingSchema>;

export const clusterrolebindings = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
  schema: ClusterRoleBindingSchema,
  strategy: bindingStrategy(['ClusterRole']),
  table: bindingTable('clusterRoleBinding'),
});

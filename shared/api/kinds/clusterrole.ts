/** rbac.authorization.k8s.io/v1 ClusterRole (cluster-scoped; may aggregate other ClusterRoles). */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { AggregationRuleSchema, createdAtTable, PolicyRuleSchema, validateRules } from './rbac.ts';

export const ClusterRoleSchema = z.looseObject({
  ...objectShape('rbac.authorization.k8s.io/v1', 'ClusterRole'),
  rules: z.array(PolicyRuleSchema).optional().nullable(),
  aggregationRule: AggregationRuleSchema.optional(),
});
export type ClusterRole = z.infer<typeof ClusterRoleSchema>;

export const clusterroles = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterroles',
  kind: 'ClusterRole',
  namespaced: false,
  schema: ClusterRoleSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.pathSegment, validate: (obj) => validateRules(obj.rules, false) },
  table: createdAtTable,
});

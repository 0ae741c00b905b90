/** rbac.authorization.k8s.io/v1 Role. Names only need to be valid path segments (`system:foo` is fine). */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { createdAtTable, PolicyRuleSchema, validateRules } from './rbac.ts';

export const RoleSchema = z.looseObject({
  ...objectShape('rbac.authorization.k8s.io/v1', 'Role'),
  rules: z.array(PolicyRuleSchema).optional().nullable(),
});
export type Role = z.infer<typeof RoleSchema>;

export const roles = defineKind({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'roles',
  kind: 'Role',
  namespaced: true,
  schema: RoleSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.pathSegment, validate: (obj) => validateRules(obj.rules, true) },
  table: createdAtTable,
});

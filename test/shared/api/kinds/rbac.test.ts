import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../shared/api/object.ts';
import { rolebindings, RoleBindingSchema } from '../../../../shared/api/kinds/rolebinding.ts';
import { clusterrolebindings, ClusterRoleBindingSchema } from '../../../../shared/api/kinds/clusterrolebinding.ts';

type Obj = KubeObject & Record<string, any>;
const API_VERSION = 'rbac.authorization.k8s.io/v1';

function binding(kind: string, roleKind: string, namespace?: string): Obj {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name: 'b', ...(namespace ? { namespace } : {}) },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'default' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: 'r' },
  } as Obj;
}

describe('RoleBinding and ClusterRoleBinding', () => {
  it.each([
    ['RoleBinding', rolebindings, 'Role', 'default', true],
    ['RoleBinding', rolebindings, 'ClusterRole', 'default', true],
    ['ClusterRoleBinding', clusterrolebindings, 'ClusterRole', undefined, true],
    ['ClusterRoleBinding', clusterrolebindings, 'Role', undefined, false],
  ])('a %s may name a %s in roleRef: %s', (kind, type, roleKind, namespace, valid) => {
    const obj = binding(kind, roleKind, namespace);
    type.strategy.applyDefaults(obj);
    const errs = type.strategy.validate(obj);
    expect(errs.map((e) => e.field)).toEqual(valid ? [] : ['roleRef.kind']);
  });

  it.each([
    ['RoleBinding', rolebindings, 'default'],
    ['ClusterRoleBinding', clusterrolebindings, undefined],
  ])('defaults subject apiGroups and keeps roleRef immutable for a %s', (kind, type, namespace) => {
    const obj = binding(kind, 'ClusterRole', namespace);
    type.strategy.applyDefaults(obj);
    expect(obj.subjects.map((s: Record<string, string>) => s.apiGroup)).toEqual(['rbac.authorization.k8s.io', '']);
    const changed = { ...obj, roleRef: { ...obj.roleRef, name: 'other' } } as Obj;
    expect(type.strategy.validate(changed, obj).map((e) => e.field)).toEqual(['roleRef']);
    expect(type.strategy.specChanged?.(changed, obj)).toBe(false);
  });

  it('parses each kind only under its own kind name', () => {
    expect(RoleBindingSchema.safeParse(binding('RoleBinding', 'Role', 'default')).success).toBe(true);
    expect(RoleBindingSchema.safeParse(binding('ClusterRoleBinding', 'Role', 'default')).success).toBe(false);
    expect(ClusterRoleBindingSchema.safeParse(binding('ClusterRoleBinding', 'ClusterRole')).success).toBe(true);
    expect(ClusterRoleBindingSchema.safeParse({ ...binding('ClusterRoleBinding', 'ClusterRole'), roleRef: undefined }).success).toBe(false);
  });
});

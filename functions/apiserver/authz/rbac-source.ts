/**
 * The RBAC objects, read from the store and kept for a short while (apiserver keeps them in an informer cache).
 * A snapshot older than `maxAgeMs` is reloaded; a denial with a snapshot older than `recheckAfterMs` reloads once
 * and asks again, so a grant is seen at once and a revocation within `maxAgeMs` (default 1 s).
 */
import type { KubeObject } from '../../../shared/api/object.ts';
import { ClusterRoleBindingSchema } from '../../../shared/api/kinds/clusterrolebinding.ts';
import { ClusterRoleSchema } from '../../../shared/api/kinds/clusterrole.ts';
import { RoleBindingSchema } from '../../../shared/api/kinds/rolebinding.ts';
import { RoleSchema } from '../../../shared/api/kinds/role.ts';
import type { ObjectStore, ResourceKey } from '../../store/object-store.ts';
import { RbacIndex } from './rbac.ts';
import type { z } from 'zod';

export interface RbacSourceOptions {
  maxAgeMs?: number;
  recheckAfterMs?: number;
  now?: () => number;
}

async function listAll<S extends z.ZodType>(store: ObjectStore, resource: ResourceKey, schema: S): Promise<z.infer<S>[]> {
  const out: z.infer<S>[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(resource, { limit: 1000, continue: cont });
    for (const item of page.items as KubeObject[]) {
      const parsed = schema.safeParse(item);
      if (parsed.success) out.push(parsed.data);
    }
    cont = page.continue;
  } while (cont);
  return out;
}

export class RbacSource {
  private current?: { index: RbacIndex; loadedAt: number };
  private loading?: Promise<RbacIndex>;
  private readonly maxAgeMs: number;
  private readonly recheckAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    options: RbacSourceOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.recheckAfterMs = options.recheckAfterMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** The current index (reloaded when older than maxAgeMs). */
  async index(): Promise<RbacIndex> {
    if (this.current && this.now() - this.current.loadedAt < this.maxAgeMs) return this.current.index;
    return this.reload();
  }

  /** True when a denial was decided on a snapshot old enough to be worth reloading. */
  worthRechecking(): boolean {
    return !this.current || this.now() - this.current.loadedAt >= this.recheckAfterMs;
  }

  reload(): Promise<RbacIndex> {
    // Concurrent requests share one load.
    this.loading ??= (async () => {
      const startedAt = this.now();
      try {
        const [clusterRoles, clusterRoleBindings, roles, roleBindings] = await Promise.all([
          listAll(this.store, 'rbac.authorization.k8s.io/clusterroles', ClusterRoleSchema),
          listAll(this.store, 'rbac.authorization.k8s.io/clusterrolebindings', ClusterRoleBindingSchema),
          listAll(this.store, 'rbac.authorization.k8s.io/roles', RoleSchema),
          listAll(this.store, 'rbac.authorization.k8s.io/rolebindings', RoleBindingSchema),
        ]);
        const index = new RbacIndex({ clusterRoles, clusterRoleBindings, roles, roleBindings });
        this.current = { index, loadedAt: startedAt };
        return index;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

/**
 * Namespace loader. Today the Registry already purges a namespace inline when it is deleted
 * (functions/apiserver/registry-store.ts deleteNamespace) and deletes it once nothing is left; objects held by
 * finalizers (foreground deletions, PVC protection) keep it Terminating. This controller finishes that work:
 * it reports what remains in the namespace's conditions, deletes what is left, and once the namespace is empty
 * deletes it again through the Registry, which removes it (the same path as `kubectl delete ns`).
 */
import type { Namespace } from '../../../shared/api/kinds/namespace.ts';
import { resourceKey, type KubeObject } from '../../../shared/api/object.ts';
import { resourceTypes } from '../../../shared/api/registry.ts';
import { reconcileNamespace } from '../namespace.ts';
import { applyResult, type ControllerRegistration } from '../runner.ts';
import { isReason } from '../api-port.ts';

/** Every namespaced resource once (a resource served in several versions is stored once). */
const NAMESPACED = [...new Set(resourceTypes.filter((t) => t.namespaced).map((t) => resourceKey(t)))];

export const namespaceController: ControllerRegistration = {
  name: 'namespace',
  resource: 'core/namespaces',
  async load(name, env) {
    const namespace = await env.api.get<Namespace>('core/namespaces', '', name);
    if (!namespace?.metadata.deletionTimestamp) return;
    const lists = await Promise.all(NAMESPACED.map((r) => env.api.list(r, name)));
    // Events are not content that holds a namespace up; they go with it.
    const contents: KubeObject[] = lists.flatMap((l) => l.items);
    const result = reconcileNamespace({ namespace, contents, now: env.now() });
    const { finalize, ...rest } = result;
    await applyResult(env, rest, { controller: 'namespace', key: name, owner: namespace });
    if (finalize) {
      try {
        await env.api.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { preconditionUid: namespace.metadata.uid });
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
      }
    }
  },
};

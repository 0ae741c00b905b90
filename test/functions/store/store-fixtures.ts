/** Object builders and watch helpers shared by the store tests. */
import type { KubeObject } from '../../../shared/api/object.ts';
import type { ChangeEvent, ObjectRef, ObjectStore } from '../../../functions/store/object-store.ts';

export const PODS = 'core/pods';

export function podRef(namespace: string, name: string): ObjectRef {
  return { resource: PODS, namespace, name };
}

export function pod(namespace: string, name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, ...extra };
}

/** Collects a watch's events into an array until `stop()`. */
export async function collectWatch(store: ObjectStore, from: string, filter: { resource?: string; namespace?: string } = {}) {
  const controller = new AbortController();
  const start = await store.watch({ fromResourceVersion: from, signal: controller.signal, ...filter });
  if (!start.ok) throw new Error(`watch refused: ${start.reason}`);
  const events: ChangeEvent[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const event of start.events) events.push(event);
    } catch (err) {
      failure = err;
    }
  })();
  return {
    events,
    failure: () => failure,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

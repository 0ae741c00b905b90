/**
 * One list+watch per resource for every follower on the node: the service proxy and the cluster DNS both follow
 * Services and EndpointSlices, and each held watch costs (on AWS, a watch is an invocation billed for as long as
 * it is held). The first follower of a resource starts the underlying watch; later ones get the current set at
 * once and every change after; the underlying watch stops when the last follower's signal aborts.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceName, ResourceWatch, WatchHandlers } from './resource-watch.ts';

interface Follower {
  handlers: WatchHandlers<KubeObject>;
}

interface Shared {
  followers: Set<Follower>;
  /** The raw objects of the last notification (each follower parses them itself). */
  latest: KubeObject[] | undefined;
  abort: AbortController;
}

const keyOf = (r: ResourceName): string => `${r.group}/${r.version}/${r.resource}`;

export function sharedResourceWatch(underlying: ResourceWatch): ResourceWatch {
  const shared = new Map<string, Shared>();

  const deliver = (follower: Follower, raws: KubeObject[]): void => {
    const items: KubeObject[] = [];
    for (const raw of raws) {
      try {
        items.push(follower.handlers.parse(raw));
      } catch (err) {
        follower.handlers.onError?.(err);
      }
    }
    follower.handlers.onChange(items);
  };

  return <T extends KubeObject>(resource: ResourceName, handlers: WatchHandlers<T>, signal: AbortSignal): void => {
    if (signal.aborted) return;
    const key = keyOf(resource);
    const follower: Follower = { handlers: handlers as unknown as WatchHandlers<KubeObject> };
    let entry = shared.get(key);
    if (!entry) {
      const created: Shared = { followers: new Set(), latest: undefined, abort: new AbortController() };
      entry = created;
      shared.set(key, created);
      underlying<KubeObject>(
        resource,
        {
          // Objects pass through unparsed: each follower applies its own schema.
          parse: (o) => o as KubeObject,
          onChange: (items) => {
            created.latest = items;
            for (const f of created.followers) deliver(f, items);
          },
          onError: (err) => {
            for (const f of created.followers) f.handlers.onError?.(err);
          },
        },
        created.abort.signal,
      );
    }
    const current = entry;
    current.followers.add(follower);
    if (current.latest) deliver(follower, current.latest);
    signal.addEventListener(
      'abort',
      () => {
        current.followers.delete(follower);
        if (current.followers.size === 0) {
          current.abort.abort();
          shared.delete(key);
        }
      },
      { once: true },
    );
  };
}

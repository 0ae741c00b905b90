/**
 * HTTP watch: newline-delimited JSON events (`{"type":"ADDED","object":{…}}\n`) streamed from the store's change
 * log (kubectl-wire §1.5). Covers the replay of current state for watches without a resourceVersion, watch-list
 * (`sendInitialEvents=true` → ADDEDs, then the `k8s.io/initial-events-end` BOOKMARK), selector transitions
 * (an object leaving the selector is DELETED, entering it is ADDED), periodic bookmarks, Table events, timeouts
 * and 410 Expired as an ERROR event inside a 200 stream, as apiserver sends it.
 */
import type { ChangeEvent, ObjectStore } from '../store/object-store.ts';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';
import { apiVersionOf, type ResourceType } from '../../shared/api/resource-type.ts';
import { errors } from '../../shared/api/status.ts';
import type { ApiResponse } from './http.ts';
import type { ObjectPredicate } from './selectors.ts';
import { renderTable, TABLE_CONTENT_TYPE, type IncludeObject } from './table.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  predicate?: ObjectPredicate;
  /** The `resourceVersion` query parameter ('' when absent). */
  resourceVersion: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  /** Seconds until the server ends the stream. */
  timeoutSeconds: number;
  table?: { includeObject: IncludeObject };
  signal: AbortSignal;
}

export interface WatchDeps {
  store: ObjectStore;
  now: () => Date;
  /** How often a BOOKMARK is sent when the client allows them. Default 60 s (apiserver sends about once a minute). */
  bookmarkIntervalMs?: number;
}

/** apiserver's default: a random timeout in [minRequestTimeout, 2×minRequestTimeout) = 300–600 s; capped. */
export function watchTimeoutSeconds(requested: string | undefined, capSeconds: number, random: () => number = Math.random): number {
  const asked = requested !== undefined && /^\d+$/.test(requested) ? Number(requested) : undefined;
  const chosen = asked !== undefined && asked > 0 ? asked : Math.floor(300 + random() * 300);
  return Math.max(1, Math.min(chosen, capSeconds));
}

export function encodeEvent(event: WatchEvent): string {
  return JSON.stringify(event) + '\n';
}

/** What a change means to a watcher with a selector: the event to send, if any. */
export function filterChange(change: ChangeEvent, predicate: ObjectPredicate | undefined): WatchEvent | undefined {
  if (!predicate) return { type: change.type, object: change.object };
  const now = predicate(change.object);
  if (change.type === 'ADDED') return now ? { type: 'ADDED', object: change.object } : undefined;
  if (change.type === 'DELETED') {
    return predicate(change.previous ?? change.object) || now ? { type: 'DELETED', object: change.object } : undefined;
  }
  // MODIFIED: without the previous state, assume it matched when it matches now (a plain MODIFIED).
  const before = change.previous ? predicate(change.previous) : now;
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before) {
    // Left the selector: DELETED with the last matching state, at this change's RV (apiserver's cacher does this).
    const last = structuredClone(change.previous ?? change.object);
    last.metadata.resourceVersion = change.resourceVersion;
    return { type: 'DELETED', object: last };
  }
  return undefined;
}

/** A small unbounded queue between producers (store events, timers) and the response stream. */
class EventQueue<T> {
  private items: T[] = [];
  private waiter?: () => void;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift() as T;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

function bookmarkObject(type: ResourceType, rv: string, initialEventsEnd = false): KubeObject {
  const metadata: KubeObject['metadata'] = { resourceVersion: rv };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: type.kind, apiVersion: apiVersionOf(type), metadata };
}

/** Starts a watch and returns the streamed response. */
export async function startWatch(deps: WatchDeps, req: WatchRequest): Promise<ApiResponse> {
  const { store } = deps;
  const { type } = req;
  const stop = new AbortController();
  const onClientGone = () => stop.abort();
  if (req.signal.aborted) stop.abort();
  req.signal.addEventListener('abort', onClientGone, { once: true });

  const queue = new EventQueue<WatchEvent>();
  const replay = req.sendInitialEvents ?? (req.resourceVersion === '' || req.resourceVersion === '0');
  let fromRv = req.resourceVersion === '' || req.resourceVersion === '0' ? undefined : req.resourceVersion;
  let lastRv = fromRv ?? '0';
  const initial: KubeObject[] = [];
  if (replay) {
    let cont: string | undefined;
    let snapshotRv: string | undefined;
    do {
      const page = await store.list(resourceKey(type), { namespace: req.namespace, limit: 500, continue: cont, filter: req.predicate });
      snapshotRv ??= page.resourceVersion;
      initial.push(...page.items);
      cont = page.continue;
    } while (cont);
    fromRv = snapshotRv ?? (await store.currentResourceVersion());
    lastRv = fromRv;
  }
  fromRv ??= await store.currentResourceVersion();

  const started = await store.watch({ resource: resourceKey(type), namespace: req.namespace, fromResourceVersion: fromRv, signal: stop.signal });

  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    for (const t of timers) clearTimeout(t);
    req.signal.removeEventListener('abort', onClientGone);
    stop.abort();
    queue.close();
  };

  if (!started.ok) {
    queue.push({ type: 'ERROR', object: errors.expired(`too old resource version: ${fromRv} (${started.oldest})`).toStatus() });
    finish();
  } else {
    for (const obj of initial) queue.push({ type: 'ADDED', object: obj });
    if (req.sendInitialEvents) queue.push({ type: 'BOOKMARK', object: bookmarkObject(type, lastRv, true) });
    timers.push(setTimeout(finish, req.timeoutSeconds * 1000));
    stop.signal.addEventListener('abort', finish, { once: true });
    if (req.allowWatchBookmarks) {
      const interval = setInterval(() => queue.push({ type: 'BOOKMARK', object: bookmarkObject(type, lastRv) }), deps.bookmarkIntervalMs ?? 60_000);
      timers.push(interval);
    }
    void (async () => {
      try {
        for await (const change of started.events) {
          lastRv = change.resourceVersion;
          const event = filterChange(change, req.predicate);
          if (event) queue.push(event);
        }
      } catch (err) {
        if (!stop.signal.aborted) {
          const status = (err as { toStatus?: () => unknown }).toStatus?.() ?? errors.internal('watch failed').toStatus();
          queue.push({ type: 'ERROR', object: status });
        }
      } finally {
        finish();
      }
    })();
  }

  let first = true;
  const render = (event: WatchEvent): string => {
    if (req.table && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
      const table = renderTable(type, [event.object as KubeObject], {
        includeObject: req.table.includeObject,
        now: deps.now(),
        noHeaders: !first,
      });
      first = false;
      return encodeEvent({ type: event.type, object: table });
    }
    return encodeEvent(event);
  };

  async function* body(): AsyncGenerator<string> {
    try {
      for await (const event of queue.drain()) yield render(event);
    } finally {
      finish();
    }
  }

  return {
    status: 200,
    headers: { 'content-type': req.table ? TABLE_CONTENT_TYPE : 'application/json', 'cache-control': 'no-cache, private' },
    body: body(),
  };
}

/**
 * An in-memory ObjectStore: a fake implementing the port (functions/store/object-store.ts) for fast unit tests of
 * code above the store. It keeps the port's promises — one global increasing RV, one change-log entry per write,
 * conditional update/delete, list snapshots, watch from an RV with Expired below the retained log — so code that
 * passes against it should pass against the DynamoDB adapter too.
 */
import type {
  ChangeEvent,
  ListOptions,
  ListResult,
  ObjectRef,
  ObjectStore,
  ResourceKey,
  WatchOptions,
  WatchStart,
  WriteResult,
} from '../../functions/store/object-store.ts';
import type { KubeObject } from '../../shared/api/object.ts';

function keyOf(ref: ObjectRef): string {
  return `${ref.resource}|${ref.namespace}|${ref.name}`;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export class MemoryStore implements ObjectStore {
  private rv = 0;
  private readonly objects = new Map<string, { ref: ObjectRef; object: KubeObject }>();
  private readonly log: ChangeEvent[] = [];
  private readonly listeners = new Set<() => void>();
  /** The oldest RV still in the log; a watch from below it is Expired. Raise it with compact(). */
  private oldest = 0;

  /** Forgets log entries at or below `rv` (simulates retention), so watches from older RVs get Expired. */
  compact(rv?: number): void {
    const upTo = rv ?? this.rv;
    this.oldest = upTo;
    while (this.log.length && Number(this.log[0].resourceVersion) <= upTo) this.log.shift();
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const hit = this.objects.get(keyOf(ref));
    return hit ? clone(hit.object) : undefined;
  }

  async list(resource: ResourceKey, options: ListOptions = {}): Promise<ListResult> {
    const all = [...this.objects.values()]
      .filter((e) => e.ref.resource === resource && (options.namespace === undefined || e.ref.namespace === options.namespace))
      .sort((a, b) => `${a.ref.namespace}/${a.ref.name}`.localeCompare(`${b.ref.namespace}/${b.ref.name}`))
      .map((e) => e.object)
      .filter((o) => !options.filter || options.filter(o));
    const start = options.continue ? Number(Buffer.from(options.continue, 'base64url').toString()) : 0;
    const end = options.limit ? start + options.limit : all.length;
    const items = all.slice(start, end).map(clone);
    const result: ListResult = { items, resourceVersion: String(this.rv) };
    if (end < all.length) {
      result.continue = Buffer.from(String(end)).toString('base64url');
      result.remainingItemCount = all.length - end;
    }
    return result;
  }

  private commit(type: ChangeEvent['type'], ref: ObjectRef, object: KubeObject, previous?: KubeObject): KubeObject {
    this.rv += 1;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects.delete(keyOf(ref));
    else this.objects.set(keyOf(ref), { ref: { ...ref }, object: stored });
    this.log.push({ type, resource: ref.resource, object: clone(stored), previous: previous && clone(previous), resourceVersion: String(this.rv) });
    for (const wake of this.listeners) wake();
    return clone(stored);
  }

  async create(ref: ObjectRef, object: KubeObject): Promise<WriteResult> {
    if (this.objects.has(keyOf(ref))) return { ok: false, reason: 'AlreadyExists' };
    return { ok: true, object: this.commit('ADDED', ref, object) };
  }

  async update(ref: ObjectRef, object: KubeObject, expectedRv: string): Promise<WriteResult> {
    const hit = this.objects.get(keyOf(ref));
    if (!hit) return { ok: false, reason: 'NotFound' };
    if (hit.object.metadata.resourceVersion !== expectedRv) return { ok: false, reason: 'Conflict', current: clone(hit.object) };
    return { ok: true, object: this.commit('MODIFIED', ref, object, hit.object) };
  }

  async delete(ref: ObjectRef, expectedRv: string): Promise<WriteResult> {
    const hit = this.objects.get(keyOf(ref));
    if (!hit) return { ok: false, reason: 'NotFound' };
    if (hit.object.metadata.resourceVersion !== expectedRv) return { ok: false, reason: 'Conflict', current: clone(hit.object) };
    return { ok: true, object: this.commit('DELETED', ref, hit.object, hit.object) };
  }

  async currentResourceVersion(): Promise<string> {
    return String(this.rv);
  }

  async watch(options: WatchOptions): Promise<WatchStart> {
    const from = Number(options.fromResourceVersion || '0');
    if (from < this.oldest) return { ok: false, reason: 'Expired', oldest: String(this.oldest) };
    const matches = (e: ChangeEvent) =>
      (!options.resource || e.resource === options.resource) &&
      (options.namespace === undefined || (e.object.metadata.namespace ?? '') === options.namespace);
    const self = this;
    async function* events(): AsyncGenerator<ChangeEvent> {
      let last = from;
      while (!options.signal.aborted) {
        const pending = self.log.filter((e) => Number(e.resourceVersion) > last);
        for (const e of pending) {
          last = Number(e.resourceVersion);
          if (matches(e)) yield clone(e);
          if (options.signal.aborted) return;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            self.listeners.delete(wake);
            options.signal.removeEventListener('abort', wake);
            resolve();
          };
          self.listeners.add(wake);
          options.signal.addEventListener('abort', wake, { once: true });
        });
      }
    }
    return { ok: true, events: events() };
  }
}

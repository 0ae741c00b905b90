/**
 * What the service proxy and the DNS server read: every object of one resource across namespaces, kept current
 * by list + watch (client-go's reflector in a few lines). A `ResourceWatch` is the port; two adapters:
 * - `httpResourceWatch`: the agent's way, over the API's HTTPS (list, then watch from the list's
 *   resourceVersion with bookmarks; the stream's end is followed by a new watch from the last version seen; a
 *   410 Expired or a failure relists after a short pause);
 * - `clusterApiResourceWatch`: in-process over the ClusterApi port and its store (simulated nodes, tests).
 * Listeners receive the whole current set after the initial list and after each batch of changes.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { ClusterApi } from '../../functions/controllers/api-port.ts';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';

export interface ResourceName {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural: `services`, `endpointslices`. */
  resource: string;
}

export interface WatchHandlers<T> {
  /** Objects that fail to parse are left out (and reported through onError). */
  parse(object: unknown): T;
  onChange(items: T[]): void;
  onError?(error: unknown): void;
}

/** Starts following one resource until `signal` aborts. */
export type ResourceWatch = <T extends KubeObject>(resource: ResourceName, handlers: WatchHandlers<T>, signal: AbortSignal) => void;

export const SERVICES: ResourceName = { group: '', version: 'v1', resource: 'services' };
export const ENDPOINT_SLICES: ResourceName = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** The current set of one resource, by namespace/name. */
class ObjectSet<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  constructor(private readonly handlers: WatchHandlers<T>) {}
  private parse(raw: unknown): T | undefined {
    try {
      return this.handlers.parse(raw);
    } catch (err) {
      this.handlers.onError?.(err);
      return undefined;
    }
  }
  replace(raws: unknown[]): void {
    this.items.clear();
    for (const raw of raws) {
      const o = this.parse(raw);
      if (o) this.items.set(objectKey(o), o);
    }
  }
  apply(type: string, raw: unknown): boolean {
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return false;
    const o = this.parse(raw);
    if (!o) return false;
    if (type === 'DELETED') this.items.delete(objectKey(o));
    else this.items.set(objectKey(o), o);
    return true;
  }
  notify(): void {
    this.handlers.onChange([...this.items.values()]);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res) => {
    const timer = setTimeout(res, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), res()), { once: true });
  });
}

export interface HttpAccess {
  /** `https://127.0.0.1:6443` */
  server: string;
  token?: string;
  /** A bearer token per request (rotating credentials); wins over `token`. */
  tokenSource?: () => Promise<string>;
  ca?: Buffer;
  /** Seconds a watch stays open before it is renewed. Default 300. */
  watchTimeoutSeconds?: number;
  /** Pause before relisting after a failure. Default 1000 ms. */
  retryDelayMs?: number;
}

class Expired extends Error {}

/** list + watch over the API's HTTP(S), as the agent runs it. */
export function httpResourceWatch(access: HttpAccess): ResourceWatch {
  const base = new URL(access.server);
  const secure = base.protocol === 'https:';
  const agent = secure ? new Agent({ keepAlive: true, ca: access.ca }) : undefined;
  const prefix = base.pathname.replace(/\/$/, '');
  const get = async (path: string, signal: AbortSignal, ownConnection = false): Promise<IncomingMessage> => {
    const token = access.tokenSource ? await access.tokenSource() : access.token;
    const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    return new Promise((res, rej) => {
      const opts = { host: base.hostname, port: base.port, path: prefix + path, method: 'GET', headers, signal };
      // A watch holds its response open: it gets a connection of its own rather than a pooled one.
      const req = secure ? httpsRequest({ ...opts, ...(ownConnection ? { ca: access.ca, agent: false } : { agent }) }, res) : httpRequest(opts, res);
      req.on('error', rej);
      req.end();
    });
  };

  const readJson = async (resp: IncomingMessage, path: string): Promise<any> => {
    let text = '';
    resp.setEncoding('utf8');
    for await (const chunk of resp) text += chunk;
    if ((resp.statusCode ?? 0) >= 300) {
      if (resp.statusCode === 410) throw new Expired(text);
      throw new Error(`GET ${path}: HTTP ${resp.statusCode} ${text.slice(0, 300)}`);
    }
    return JSON.parse(text);
  };

  return <T extends KubeObject>(name: ResourceName, handlers: WatchHandlers<T>, signal: AbortSignal): void => {
    const path = name.group ? `/apis/${name.group}/${name.version}/${name.resource}` : `/api/${name.version}/${name.resource}`;
    const set = new ObjectSet(handlers);

    const list = async (): Promise<string> => {
      const items: unknown[] = [];
      let cont = '';
      let rv = '';
      do {
        const url = `${path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
        const page = await readJson(await get(url, signal), url);
        items.push(...(page.items ?? []));
        rv = page.metadata?.resourceVersion ?? '';
        cont = page.metadata?.continue ?? '';
      } while (cont);
      set.replace(items);
      set.notify();
      return rv;
    };

    /** Follows one watch stream; returns the last resourceVersion seen when the server ends it. */
    const follow = async (fromRv: string): Promise<string> => {
      let rv = fromRv;
      const query = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}&timeoutSeconds=${access.watchTimeoutSeconds ?? 300}`;
      const resp = await get(`${path}?${query}`, signal, true);
      if ((resp.statusCode ?? 0) !== 200) await readJson(resp, path);
      resp.setEncoding('utf8');
      let pending = '';
      for await (const chunk of resp as AsyncIterable<string>) {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        let changed = false;
        for (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as { type: string; object: any };
          if (event.type === 'ERROR') throw event.object?.code === 410 ? new Expired(event.object?.message ?? '') : new Error(`watch ${path}: ${JSON.stringify(event.object)}`);
          if (set.apply(event.type, event.object)) changed = true;
          rv = event.object?.metadata?.resourceVersion ?? rv;
        }
        // One notification per chunk: a burst of events read together is one change for the listener.
        if (changed) set.notify();
      }
      return rv;
    };

    void (async () => {
      while (!signal.aborted) {
        try {
          let rv = await list();
          while (!signal.aborted) rv = await follow(rv);
        } catch (err) {
          if (signal.aborted) break;
          if (!(err instanceof Expired)) handlers.onError?.(err);
          await pause(access.retryDelayMs ?? 1000, signal);
        }
      }
    })();
  };
}

/** list + watch in-process, over the ClusterApi port and its store's change log. */
export function clusterApiResourceWatch(api: ClusterApi, retryDelayMs = 1000): ResourceWatch {
  return <T extends KubeObject>(name: ResourceName, handlers: WatchHandlers<T>, signal: AbortSignal): void => {
    const resource = resourceKey(name);
    const set = new ObjectSet(handlers);
    void (async () => {
      while (!signal.aborted) {
        try {
          const listed = await api.list(resource);
          set.replace(listed.items);
          set.notify();
          const started = await api.store.watch({ resource, fromResourceVersion: listed.resourceVersion, signal });
          if (!started.ok) continue;
          for await (const change of started.events) if (set.apply(change.type, change.object)) set.notify();
        } catch (err) {
          if (signal.aborted) break;
          handlers.onError?.(err);
        }
        await pause(retryDelayMs, signal);
      }
    })();
  };
}

/**
 * The API as the node agent uses it, over HTTPS to the Zeroplane API (the kubelet's client-go, reduced to what a
 * node needs): get, list and watch with field selectors (`spec.nodeName=<node>`), create/update, the status
 * subresource (pods/status, nodes/status), delete with a uid precondition and a grace period.
 *
 * The verbs have the shapes of ClusterApi (functions/controllers/api-port.ts), so code written against `NodeApi`
 * also runs over the in-process Registry (see `nodeApiOverCluster`). Errors are StatusErrors rebuilt from the
 * server's own Status body (code and reason as the server chose them), so `isReason(err, 'Conflict')` works the
 * same on both. Every response body is parsed with the kind's zod schema.
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { ClusterApi, ListedObjects } from '../functions/controllers/api-port.ts';
import type { ObjectRef } from '../functions/controllers/types.ts';
import type { ResourceKey } from '../functions/store/object-store.ts';
import { KubeObjectSchema, resourceKey, type KubeObject } from '../shared/api/object.ts';
import { findByKind, resourceTypes } from '../shared/api/registry.ts';
import type { ResourceType } from '../shared/api/resource-type.ts';
import { isStatusError, StatusError } from '../shared/api/status.ts';
import { matchesFields, objectMetaFields, parseFieldSelector } from '../shared/labels/field-selector.ts';
import { isEverything, matchesLabels, parseLabelSelector } from '../shared/labels/label-selector.ts';

export interface Selectors {
  /** `spec.nodeName=node-1` */
  fieldSelector?: string;
  labelSelector?: string;
}

export interface WatchOptions extends Selectors {
  namespace?: string;
  /** Events after this resourceVersion (the list's). */
  resourceVersion: string;
  /** Asked of the server; it ends the stream then and the caller re-watches from the last RV seen. */
  timeoutSeconds?: number;
  signal: AbortSignal;
}

export type NodeWatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject };

export interface DeleteOptions {
  preconditionUid?: string;
  /** 0 removes a pod object at once (the kubelet's final delete). */
  gracePeriodSeconds?: number;
}

/**
 * What the agent asks of the API. get/create/update/updateStatus have ClusterApi's exact signatures; list takes
 * selectors instead of a function (they travel as query parameters); watch ends normally when the server closes
 * the stream and throws a StatusError 410 (reason Expired/Gone) when the resourceVersion is too old.
 */
export interface NodeApi extends Pick<ClusterApi, 'get' | 'create' | 'update' | 'updateStatus'> {
  list<T extends KubeObject = KubeObject>(resource: ResourceKey, namespace?: string, selectors?: Selectors): Promise<ListedObjects<T>>;
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<void>;
  watch(resource: ResourceKey, options: WatchOptions): AsyncIterable<NodeWatchEvent>;
}

export interface HttpApiOptions {
  /** `https://127.0.0.1:6443` */
  server: string;
  token?: string;
  /** A bearer token per request, for credentials that rotate (aws-iam tokens live 15 minutes); wins over `token`. */
  tokenSource?: () => Promise<string>;
  /** PEM of the CA that signed the server's certificate. */
  ca?: Buffer | string;
  caFile?: string;
  /** Skip certificate verification (tests against a self-signed server only). */
  insecure?: boolean;
  userAgent?: string;
  /** Called once per HTTP request sent (the agent's request counter). */
  onRequest?: (method: string, path: string) => void;
}

const StatusBodySchema = z.looseObject({
  kind: z.literal('Status'),
  code: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  details: z.looseObject({}).optional(),
});

const ListSchema = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional(), continue: z.string().optional() }).optional(),
  items: z.array(z.unknown()).nullable().optional(),
});

const WatchLineSchema = z.looseObject({ type: z.string(), object: z.unknown() });

const typeByKey = new Map<string, ResourceType>(resourceTypes.map((t) => [resourceKey(t), t]));

export function resourceTypeOf(resource: ResourceKey): ResourceType {
  const t = typeByKey.get(resource);
  if (!t) throw new Error(`unknown resource ${resource}`);
  return t;
}

function typeOfObject(obj: KubeObject): ResourceType {
  const t = findByKind(obj.apiVersion, obj.kind);
  if (!t) throw new Error(`unknown kind ${obj.apiVersion} ${obj.kind}`);
  return t;
}

/** `/api/v1/namespaces/ns/pods/name/status` and friends. */
export function resourcePath(t: ResourceType, namespace: string | undefined, name?: string, subresource?: string): string {
  let path = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  if (t.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${t.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The server's Status body as the StatusError it was made from; anything else as a plain Error. */
function errorFrom(status: number, text: string, what: string): Error {
  try {
    const body = StatusBodySchema.safeParse(JSON.parse(text));
    if (body.success) return new StatusError(body.data.code ?? status, body.data.reason ?? '', body.data.message ?? '', body.data.details as never);
  } catch {
    // not JSON: fall through
  }
  return new Error(`${what}: HTTP ${status}: ${text.slice(0, 200)}`);
}

function parseObject(resource: ResourceType, value: unknown): KubeObject {
  return resource.schema.parse(value) as KubeObject;
}

export function createHttpApi(options: HttpApiOptions): NodeApi & { close(): void } {
  const base = new URL(options.server);
  const secure = base.protocol === 'https:';
  const prefix = base.pathname.replace(/\/$/, '');
  const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile) : undefined);
  const tls = { ca, rejectUnauthorized: !options.insecure };
  const agent = secure ? new Agent({ keepAlive: true, maxSockets: 16, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const headers = (token: string | undefined, extra: Record<string, string | number> = {}): Record<string, string | number> => ({
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'zeroplane-node-agent',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  });

  /** One request on the keep-alive pool, or on its own socket for a watch (a long response must not hold one). */
  const send = async (method: string, path: string, body?: unknown, own = false, signal?: AbortSignal): Promise<IncomingMessage> => {
    const token = options.tokenSource ? await options.tokenSource() : options.token;
    return new Promise((resolve, reject) => {
      options.onRequest?.(method, path);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = (secure ? httpsRequest : httpRequest)(
        {
          host: base.hostname,
          port: base.port || (secure ? 443 : 80),
          method,
          path: prefix + path,
          ...(own ? (secure ? tls : {}) : { agent }),
          headers: headers(token, payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          signal,
        },
        resolve,
      );
      req.on('error', reject);
      req.end(payload);
    });
  };

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await send(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorFrom(status, text, `${method} ${path}`);
    return { status, json: text ? JSON.parse(text) : undefined };
  };

  const write = async <T extends KubeObject>(method: 'POST' | 'PUT', object: T, subresource?: string): Promise<T> => {
    const t = typeOfObject(object);
    const ns = t.namespaced ? object.metadata.namespace : undefined;
    const path = method === 'POST' ? resourcePath(t, ns) : resourcePath(t, ns, object.metadata.name ?? '', subresource);
    const { json } = await call(method, path, object);
    return parseObject(t, json) as T;
  };

  return {
    async get<T extends KubeObject>(resource: ResourceKey, namespace: string, name: string): Promise<T | undefined> {
      const t = resourceTypeOf(resource);
      try {
        const { json } = await call('GET', resourcePath(t, namespace, name));
        return parseObject(t, json) as T;
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) return undefined;
        throw err;
      }
    },
    async list<T extends KubeObject>(resource: ResourceKey, namespace?: string, selectors: Selectors = {}): Promise<ListedObjects<T>> {
      const t = resourceTypeOf(resource);
      const items: T[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const q = query({ fieldSelector: selectors.fieldSelector, labelSelector: selectors.labelSelector, limit: '500', continue: cont });
        const { json } = await call('GET', resourcePath(t, namespace) + q);
        const list = ListSchema.parse(json);
        for (const item of list.items ?? []) items.push(parseObject(t, { apiVersion: t.group ? `${t.group}/${t.version}` : t.version, kind: t.kind, ...(item as object) }) as T);
        resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
        cont = list.metadata?.continue || undefined;
      } while (cont);
      return { items, resourceVersion };
    },
    create: (object) => write('POST', object),
    update: (object) => write('PUT', object),
    updateStatus: (object) => write('PUT', object, 'status'),
    async delete(ref, o = {}) {
      const t = findByKind(ref.apiVersion, ref.kind);
      if (!t) throw new Error(`unknown kind ${ref.apiVersion} ${ref.kind}`);
      const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
      if (o.preconditionUid) body.preconditions = { uid: o.preconditionUid };
      if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
      await call('DELETE', resourcePath(t, ref.namespace, ref.name), body);
    },
    async *watch(resource, o) {
      const t = resourceTypeOf(resource);
      const q = query({
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: o.resourceVersion,
        fieldSelector: o.fieldSelector,
        labelSelector: o.labelSelector,
        timeoutSeconds: o.timeoutSeconds !== undefined ? String(o.timeoutSeconds) : undefined,
      });
      let res: IncomingMessage;
      try {
        res = await send('GET', resourcePath(t, o.namespace) + q, undefined, true, o.signal);
      } catch (err) {
        if (o.signal.aborted) return;
        throw err;
      }
      if ((res.statusCode ?? 0) !== 200) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        throw errorFrom(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `watch ${resource}`);
      }
      let pending = '';
      try {
        for await (const chunk of res) {
          pending += (chunk as Buffer).toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            const ev = WatchLineSchema.parse(JSON.parse(line));
            if (ev.type === 'ERROR') {
              const status = StatusBodySchema.parse(ev.object);
              throw new StatusError(status.code ?? 500, status.reason ?? '', status.message ?? '');
            }
            if (ev.type === 'BOOKMARK') {
              yield { type: 'BOOKMARK', object: KubeObjectSchema.parse(ev.object) };
              continue;
            }
            if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') continue;
            yield { type: ev.type, object: parseObject(t, ev.object) };
          }
        }
      } catch (err) {
        if (o.signal.aborted) return;
        throw err;
      } finally {
        res.destroy();
      }
    },
    close: () => agent.destroy(),
  };
}

/** Compiles selectors to a predicate over objects (for the in-process adapter). */
function selectorPredicate(t: ResourceType, selectors: Selectors): ((obj: KubeObject) => boolean) | undefined {
  const labels = selectors.labelSelector ? parseLabelSelector(selectors.labelSelector) : undefined;
  const fields = selectors.fieldSelector ? parseFieldSelector(selectors.fieldSelector) : undefined;
  if ((!labels || isEverything(labels)) && (!fields || fields.requirements.length === 0)) return undefined;
  return (obj) =>
    (!labels || matchesLabels(labels, obj.metadata.labels)) &&
    (!fields || matchesFields(fields, { ...objectMetaFields(obj.metadata, t.namespaced), ...(t.selectableFields?.(obj) ?? {}) }));
}

/**
 * NodeApi over the in-process ClusterApi (the Registry and its store's change log): the agent inside the local
 * cluster's process, or tests without HTTP. Watch semantics match the HTTP one (410 → StatusError 410).
 */
export function nodeApiOverCluster(api: ClusterApi): NodeApi {
  return {
    get: (r, ns, name) => api.get(r, ns, name),
    create: (o) => api.create(o),
    update: (o) => api.update(o),
    updateStatus: (o) => api.updateStatus(o),
    list: (resource, namespace, selectors = {}) => api.list(resource, namespace, selectorPredicate(resourceTypeOf(resource), selectors)),
    async delete(ref, o = {}) {
      // The Registry removes a pod at once (no graceful phase yet), so the grace period has nothing to shorten.
      await api.delete(ref, o.preconditionUid ? { preconditionUid: o.preconditionUid } : {});
    },
    async *watch(resource, o) {
      const t = resourceTypeOf(resource);
      const predicate = selectorPredicate(t, o);
      const started = await api.store.watch({ resource, namespace: o.namespace, fromResourceVersion: o.resourceVersion, signal: o.signal });
      if (!started.ok) throw new StatusError(410, 'Expired', `too old resource version: ${o.resourceVersion} (${started.oldest})`);
      for await (const ev of started.events) {
        const now = !predicate || predicate(ev.object);
        const before = ev.previous ? !predicate || predicate(ev.previous) : now;
        if (ev.type === 'DELETED') {
          if (now || before) yield { type: 'DELETED', object: ev.object };
        } else if (now) yield { type: before || ev.type === 'ADDED' ? ev.type : 'ADDED', object: ev.object };
        else if (before) yield { type: 'DELETED', object: ev.object };
      }
    },
  };
}

/** The error is the API's Status with one of these reasons (Conflict, NotFound, AlreadyExists, …). */
export function isReason(err: unknown, ...reasons: string[]): boolean {
  return isStatusError(err) && reasons.includes(err.reason);
}

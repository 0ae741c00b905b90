/**
 * The API core: one function from ApiRequest to ApiResponse, shared by the Lambda handler and the local HTTPS
 * front. Authenticates, routes (non-resource paths go to discovery/openapi/version/health), resolves the resource
 * type, parses the query into verb options, calls the generic registry, and renders the reply (object, List or
 * Table). Every failure becomes a Kubernetes Status; unexpected ones are logged and answered 500 without details.
 */
import type { Logger } from 'pino';
import type { ObjectStore } from '../store/object-store.ts';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';
import { apiVersionOf, type ResourceType } from '../../shared/api/resource-type.ts';
import { resourceTypes as registeredTypes } from '../../shared/api/registry.ts';
import { errors, isStatusError, type StatusBody } from '../../shared/api/status.ts';
import { Allocators, parseCidr } from './allocators.ts';
import type { AuditSink } from './authz/audit-log.ts';
import type { RbacSourceOptions } from './authz/rbac-source.ts';
import type { AuthenticatorOptions } from './auth.ts';
import { createRequestGuard, type RequestGuard } from './authz/request-guard.ts';
import type { TokenIssuer } from './authz/token-issuer.ts';
import type { UserInfo } from './authz/attributes.ts';
import { decodeBody, decodeObjectBody, patchTypeOf } from './content.ts';
import { discoveryResponse } from './discovery.ts';
import { awaitResourceVersion, DEFAULT_RESOURCE_VERSION_WAIT_MS } from './freshness.ts';
import { parseFieldValidation, warningHeader } from './field-validation.ts';
import { healthResponse } from './health.ts';
import { jsonResponse, type ApiCore, type ApiRequest, type ApiResponse } from './http.ts';
import { openapiResponse } from './openapi.ts';
import { isMetricsType, serveMetrics } from './metrics-api.ts';
import type { MetricsSource } from '../metrics/metrics-source.ts';
import { bindPod, evictPod } from './pod-subresources.ts';
import { createNodeProxy, STREAM_SUBRESOURCES, type NodeClientTls, type NodeProxy } from './node-proxy.ts';
import { indexResourceTypes, type ResourceTypes } from './resource-types.ts';
import { Registry, type DeleteOptions, type WriteOptions } from './registry-store.ts';
import { checkWatchOptions, getReadConsistency, listReadConsistency, type ReadConsistency } from './read-options.ts';
import { parseRoute, type ResourceRoute } from './router.ts';
import { getScale, patchScale, SCALABLE, updateScale } from './scale.ts';
import { compileSelectors, type ObjectPredicate } from './selectors.ts';
import { includeObjectPolicy, renderTable, TABLE_CONTENT_TYPE, wantsTable } from './table.ts';
import { versionResponse } from './version.ts';
import { startWatch, watchTimeoutSeconds } from './watch.ts';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

const NO_METRICS: MetricsSource = { nodeUsage: async () => undefined };

export interface ApiCoreDeps {
  store: ObjectStore;
  /** sha256 hex digests of the admin bearer tokens (user `zeroplane:admin`, group system:masters). */
  tokens: readonly string[];
  /** Issues and verifies ServiceAccount tokens and node credentials. Default: none (admin tokens only). */
  tokenIssuer?: TokenIssuer;
  /** AWS IAM authentication (functions/apiserver/authn/aws-iam.ts). Default: none. */
  iam?: AuthenticatorOptions['iam'];
  /** Receives one event per mutating request (authz/audit-log.ts). Default: no audit log. */
  audit?: AuditSink;
  /** How long RBAC objects are cached between reloads (authz/rbac-source.ts). */
  rbac?: RbacSourceOptions;
  /** Service ClusterIP range. Default 10.96.0.0/12. */
  serviceCidr?: string;
  logger: Logger;
  now?: () => Date;
  /** The served resource types. Default: shared/api/registry.ts. */
  types?: readonly ResourceType[];
  /** Longest watch the platform allows (Lambda: 15 min). Default 900 s. */
  maxWatchSeconds?: number;
  /** Interval of BOOKMARK events when a watcher allows them. Default 60 s. */
  bookmarkIntervalMs?: number;
  /** How long a read asking for a resourceVersion the store has not reached waits for it before answering 504
   *  `Too large resource version` (apiserver's watch cache waits 3 s). Default 3000 ms. */
  resourceVersionWaitMs?: number;
  /** Where metrics.k8s.io readings come from. Default: none (the group answers empty lists). */
  metrics?: MetricsSource;
  /** The API's client certificate for node servers (logs, exec, attach, port-forward). Without it those answer 500. */
  nodeClient?: NodeClientTls;
}

interface Context {
  deps: ApiCoreDeps;
  guard: RequestGuard;
  types: ResourceTypes;
  registry: Registry;
  now: () => Date;
  nodeProxy: NodeProxy;
}

function writeOptions(query: Record<string, string>): WriteOptions {
  const dryRun = query.dryRun;
  if (dryRun !== undefined && dryRun !== '' && dryRun !== 'All') throw errors.badRequest(`Invalid dry run value: ${dryRun}`);
  const force = query.force;
  if (force !== undefined && force !== '' && force !== 'true' && force !== 'false') throw errors.badRequest(`invalid boolean value for force: ${force}`);
  return {
    dryRun: dryRun === 'All',
    fieldManager: query.fieldManager || undefined,
    fieldValidation: parseFieldValidation(query.fieldValidation),
    force: force === 'true',
    warnings: [],
  };
}

function intParam(query: Record<string, string>, name: string): number | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${v}`);
  return Number(v);
}

const PROPAGATION = new Set(['Foreground', 'Background', 'Orphan']);

function deleteOptions(req: ApiRequest, opts: WriteOptions): DeleteOptions {
  const body = decodeBody(req.headers['content-type'], req.body) as Record<string, unknown> | undefined;
  const out: DeleteOptions = {};
  const policy = (body?.propagationPolicy as string | undefined) ?? req.query.propagationPolicy;
  const orphan = body?.orphanDependents ?? (req.query.orphanDependents !== undefined ? req.query.orphanDependents === 'true' : undefined);
  if (policy !== undefined && policy !== '') {
    if (!PROPAGATION.has(policy)) {
      throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', [
        { field: 'propagationPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"` },
      ]);
    }
    out.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  } else if (orphan === true) {
    out.propagationPolicy = 'Orphan';
  }
  const grace = (body?.gracePeriodSeconds as number | undefined) ?? intParam(req.query, 'gracePeriodSeconds');
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  const pre = body?.preconditions as DeleteOptions['preconditions'] | undefined;
  if (pre) out.preconditions = pre;
  const dry = body?.dryRun;
  if (Array.isArray(dry) && dry.includes('All')) opts.dryRun = true;
  return out;
}

function respond(code: number, body: unknown, opts?: WriteOptions): ApiResponse {
  const warning = opts ? warningHeader(opts.warnings) : undefined;
  return jsonResponse(code, body, warning ? { warning } : {});
}

/** An object, or a one-row Table when the client asked for one. */
function objectResponse(ctx: Context, req: ApiRequest, type: ResourceType, code: number, body: KubeObject | StatusBody, opts?: WriteOptions): ApiResponse {
  if (wantsTable(req.headers.accept) && body.kind === type.kind) {
    const table = renderTable(type, [body as KubeObject], { includeObject: includeObjectPolicy(req.query), now: ctx.now() });
    const res = respond(code, table, opts);
    return { ...res, headers: { ...res.headers, 'content-type': TABLE_CONTENT_TYPE } };
  }
  return respond(code, body, opts);
}

function predicateFor(type: ResourceType, route: ResourceRoute, query: Record<string, string>): ObjectPredicate | undefined {
  const selectors = compileSelectors(type, query.labelSelector, query.fieldSelector);
  if (route.name === undefined) return selectors;
  // A watch on a named object (legacy /watch/…/name) is a watch with a metadata.name field selector.
  const name = route.name;
  return (obj) => obj.metadata.name === name && (!selectors || selectors(obj));
}

/** Makes sure the store has reached what a read asked for (waiting for a future RV), before reading. */
async function ensureFresh(ctx: Context, read: ReadConsistency): Promise<void> {
  if (read.kind !== 'notOlderThan' && read.kind !== 'exact') return;
  await awaitResourceVersion(ctx.deps.store, read.rv, ctx.deps.resourceVersionWaitMs ?? DEFAULT_RESOURCE_VERSION_WAIT_MS);
}

/** get and get of the status subresource: the latest object, once the store is at least as new as asked. */
async function getObject(ctx: Context, req: ApiRequest, type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
  await ensureFresh(ctx, getReadConsistency(req.query));
  return ctx.registry.get(type, namespace, name);
}

async function list(ctx: Context, req: ApiRequest, route: ResourceRoute, type: ResourceType): Promise<ApiResponse> {
  const predicate = predicateFor(type, route, req.query);
  const limit = intParam(req.query, 'limit');
  const read = listReadConsistency(req.query, limit);
  await ensureFresh(ctx, read);
  const page = await ctx.deps.store.list(resourceKey(type), {
    namespace: type.namespaced ? route.namespace : undefined,
    limit: limit && limit > 0 ? limit : undefined,
    continue: req.query.continue || undefined,
    ...(read.kind === 'exact' ? { resourceVersion: String(read.rv) } : {}),
    filter: predicate,
  });
  if (wantsTable(req.headers.accept)) {
    const table = renderTable(type, page.items, {
      includeObject: includeObjectPolicy(req.query),
      now: ctx.now(),
      resourceVersion: page.resourceVersion,
      continue: page.continue,
      remainingItemCount: page.remainingItemCount,
    });
    return { status: 200, headers: { 'content-type': TABLE_CONTENT_TYPE }, body: JSON.stringify(table) };
  }
  const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  return respond(200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items: page.items });
}

async function watch(ctx: Context, req: ApiRequest, route: ResourceRoute, type: ResourceType): Promise<ApiResponse> {
  checkWatchOptions(req.query);
  const sendInitialEvents = req.query.sendInitialEvents === undefined ? undefined : req.query.sendInitialEvents === 'true';
  return startWatch(
    { store: ctx.deps.store, now: ctx.now, bookmarkIntervalMs: ctx.deps.bookmarkIntervalMs },
    {
      type,
      namespace: type.namespaced ? route.namespace : undefined,
      predicate: predicateFor(type, route, req.query),
      resourceVersion: req.query.resourceVersion ?? '',
      sendInitialEvents,
      allowWatchBookmarks: req.query.allowWatchBookmarks === 'true',
      timeoutSeconds: watchTimeoutSeconds(req.query.timeoutSeconds, ctx.deps.maxWatchSeconds ?? 900),
      table: wantsTable(req.headers.accept) ? { includeObject: includeObjectPolicy(req.query) } : undefined,
      signal: req.signal,
    },
  );
}

async function deleteCollection(ctx: Context, req: ApiRequest, route: ResourceRoute, type: ResourceType, opts: WriteOptions): Promise<ApiResponse> {
  const options = deleteOptions(req, opts);
  const predicate = predicateFor(type, route, req.query);
  const deleted: KubeObject[] = [];
  let cont: string | undefined;
  const candidates: KubeObject[] = [];
  do {
    const page = await ctx.deps.store.list(resourceKey(type), { namespace: type.namespaced ? route.namespace : undefined, limit: 500, continue: cont, filter: predicate });
    candidates.push(...page.items);
    cont = page.continue;
  } while (cont);
  for (const obj of candidates) {
    try {
      const out = await ctx.registry.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', options, opts);
      deleted.push(out.body.kind === type.kind ? (out.body as KubeObject) : obj);
    } catch (err) {
      if (!(isStatusError(err) && err.code === 404)) throw err;
    }
  }
  return respond(200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: {}, items: deleted }, opts);
}

async function subresource(ctx: Context, req: ApiRequest, route: ResourceRoute, type: ResourceType): Promise<ApiResponse> {
  const { namespace, name = '', subresource: sub = '' } = route;
  const key = resourceKey(type);
  if (sub === 'status' && type.strategy.hasStatusSubresource) {
    switch (route.verb) {
      case 'get':
        return objectResponse(ctx, req, type, 200, await getObject(ctx, req, type, namespace, name));
      case 'update': {
        const opts = writeOptions(req.query);
        const obj = ctx.registry.decode(type, decodeObjectBody(req.headers['content-type'], req.body), opts);
        const out = await ctx.registry.update(type, namespace, name, obj, opts, 'status');
        return respond(out.code, out.body, opts);
      }
      case 'patch': {
        const opts = writeOptions(req.query);
        const patchType = patchTypeOf(req.headers['content-type']);
        const out = await ctx.registry.patch(type, namespace, name, patchType, decodeBody(req.headers['content-type'], req.body), opts, 'status');
        return respond(out.code, out.body, opts);
      }
    }
  }
  if (sub === 'scale' && SCALABLE.has(key)) {
    switch (route.verb) {
      case 'get':
        return respond(200, await getScale(ctx.registry, type, namespace, name));
      case 'update': {
        const opts = writeOptions(req.query);
        return respond(200, await updateScale(ctx.registry, type, namespace, name, decodeObjectBody(req.headers['content-type'], req.body), opts), opts);
      }
      case 'patch': {
        const opts = writeOptions(req.query);
        const patchType = patchTypeOf(req.headers['content-type']);
        const body = decodeBody(req.headers['content-type'], req.body);
        return respond(200, await patchScale(ctx.registry, type, namespace, name, patchType, body, opts, ctx.now()), opts);
      }
    }
  }
  if (key === 'core/pods' && route.verb === 'create' && namespace) {
    const opts = writeOptions(req.query);
    if (sub === 'binding') {
      return respond(201, await bindPod(ctx.registry, type, namespace, name, decodeObjectBody(req.headers['content-type'], req.body), opts));
    }
    if (sub === 'eviction') {
      return respond(201, await evictPod(ctx.registry, type, namespace, name, decodeObjectBody(req.headers['content-type'], req.body), opts, { store: ctx.deps.store, now: ctx.now }));
    }
  }
  if (key === 'core/pods' && namespace) {
    if (sub === 'log' && route.verb === 'get') return ctx.nodeProxy.podLogs(namespace, name, req);
    if (STREAM_SUBRESOURCES.has(sub) && (route.verb === 'get' || route.verb === 'create')) return ctx.nodeProxy.streamTarget(namespace, name, sub, req);
  }
  const known = type.subresources.some((s) => s.name === sub);
  throw known ? errors.methodNotAllowed() : errors.noRoute();
}

async function resourceRequest(ctx: Context, req: ApiRequest, route: ResourceRoute): Promise<ApiResponse> {
  const type = ctx.types.find(route.group, route.version, route.resource);
  if (!type) throw errors.noRoute();
  if (!type.namespaced && route.namespace !== undefined) throw errors.noRoute();
  const collectionAcrossNamespaces = route.verb === 'list' || route.verb === 'watch';
  if (type.namespaced && route.namespace === undefined && !collectionAcrossNamespaces) throw errors.noRoute();
  if (isMetricsType(type)) return serveMetrics({ store: ctx.deps.store, types: ctx.types, source: ctx.deps.metrics ?? NO_METRICS, now: ctx.now }, req, route, type);
  if (route.subresource !== undefined) return subresource(ctx, req, route, type);
  if (!type.verbs.includes(route.verb)) throw errors.methodNotAllowed();
  const { namespace, name = '' } = route;
  switch (route.verb) {
    case 'get':
      return objectResponse(ctx, req, type, 200, await getObject(ctx, req, type, namespace, name));
    case 'list':
      return list(ctx, req, route, type);
    case 'watch':
      return watch(ctx, req, route, type);
    case 'create': {
      const opts = writeOptions(req.query);
      const obj = ctx.registry.decode(type, decodeObjectBody(req.headers['content-type'], req.body), opts);
      const out = await ctx.registry.create(type, namespace, obj, opts);
      return objectResponse(ctx, req, type, out.code, out.body, opts);
    }
    case 'update': {
      const opts = writeOptions(req.query);
      const obj = ctx.registry.decode(type, decodeObjectBody(req.headers['content-type'], req.body), opts);
      const out = await ctx.registry.update(type, namespace, name, obj, opts);
      return objectResponse(ctx, req, type, out.code, out.body, opts);
    }
    case 'patch': {
      const opts = writeOptions(req.query);
      const patchType = patchTypeOf(req.headers['content-type']);
      const out = await ctx.registry.patch(type, namespace, name, patchType, decodeBody(req.headers['content-type'], req.body), opts);
      return objectResponse(ctx, req, type, out.code, out.body, opts);
    }
    case 'delete': {
      const opts = writeOptions(req.query);
      const out = await ctx.registry.delete(type, namespace, name, deleteOptions(req, opts), opts);
      return objectResponse(ctx, req, type, out.code, out.body, opts);
    }
    case 'deletecollection':
      return deleteCollection(ctx, req, route, type, writeOptions(req.query));
  }
}

async function nonResourceRequest(ctx: Context, req: ApiRequest): Promise<ApiResponse> {
  const answer =
    versionResponse(req) ??
    (await healthResponse(req, { store: ctx.deps.store })) ??
    discoveryResponse(req, ctx.types.all) ??
    openapiResponse(req, ctx.types.all, ctx.now());
  if (answer) return answer;
  throw errors.noRoute();
}

/** Logs an unexpected failure with its request context and answers 500 without internals. */
function internalError(deps: ApiCoreDeps, req: ApiRequest, err: unknown): ApiResponse {
  const route = parseRoute(req.method, req.path, req.query);
  const where =
    route.kind === 'resource'
      ? { verb: route.verb, resource: route.group ? `${route.resource}.${route.group}` : route.resource, namespace: route.namespace, name: route.name, subresource: route.subresource }
      : { path: req.path };
  deps.logger.error({ ...where, rv: req.query.resourceVersion, err }, 'request failed');
  return jsonResponse(500, errors.internal('an unexpected error occurred; see the server log').toStatus());
}

/** A failure as a Status reply; one that says when to retry (429, 504) also says it in `Retry-After`, as
 *  apiserver's responsewriters do (clients honour the header, not the body field). */
export function statusResponse(err: { code: number; toStatus(): StatusBody }): ApiResponse {
  const status = err.toStatus();
  const retryAfter = status.details?.retryAfterSeconds;
  return jsonResponse(err.code, status, retryAfter && retryAfter > 0 ? { 'retry-after': String(retryAfter) } : {});
}

export function createApiCore(deps: ApiCoreDeps): ApiCore {
  const now = deps.now ?? (() => new Date());
  const types = indexResourceTypes(deps.types ?? registeredTypes);
  const allocators = new Allocators(deps.store, parseCidr(deps.serviceCidr ?? DEFAULT_SERVICE_CIDR));
  const registry = new Registry({ store: deps.store, types, allocators, now });
  const guard = createRequestGuard({ store: deps.store, adminTokenHashes: deps.tokens, issuer: deps.tokenIssuer, iam: deps.iam, audit: deps.audit, rbac: deps.rbac, logger: deps.logger, now });
  const nodeProxy = createNodeProxy({ registry, pods: types.find('', 'v1', 'pods')!, nodes: types.find('', 'v1', 'nodes')!, tls: deps.nodeClient });
  const ctx: Context = { deps, guard, types, registry, now, nodeProxy };
  const serve = async (req: ApiRequest, seen: { route?: ReturnType<typeof parseRoute>; user?: UserInfo }): Promise<ApiResponse> => {
    try {
      const route = (seen.route = parseRoute(req.method, req.path, req.query));
      // Authentication (401) and authorization (403) come before anything else, as in apiserver's filter chain.
      const user = (seen.user = await guard.authenticate(req));
      await guard.authorize(req, route, user);
      if (route.kind === 'nonResource') return await nonResourceRequest(ctx, req);
      if (route.kind === 'unsupported') throw route.reason === 'method' ? errors.methodNotAllowed() : errors.noRoute();
      return (await guard.serve(req, route, user)) ?? (await resourceRequest(ctx, req, route));
    } catch (err) {
      if (isStatusError(err)) return statusResponse(err);
      return internalError(deps, req, err);
    }
  };
  return async (req) => {
    const seen: { route?: ReturnType<typeof parseRoute>; user?: UserInfo } = {};
    const res = await serve(req, seen);
    guard.audit(req, seen.route, seen.user, res);
    return res;
  };
}

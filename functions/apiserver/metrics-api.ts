/**
 * metrics.k8s.io/v1beta1 (`kubectl top`, the HPA): get and list of NodeMetrics and PodMetrics, computed on request
 * from a MetricsSource over the stored Nodes and Pods — metrics-server's API, without a server to run. Label
 * selectors apply to the node's or pod's labels, as metrics-server applies them; watch is not offered.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { METRICS_GROUP } from '../../shared/api/kinds/metrics.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { apiVersionOf, type ResourceType } from '../../shared/api/resource-type.ts';
import { errors } from '../../shared/api/status.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { MetricsSource } from '../metrics/metrics-source.ts';
import { readNodeMetrics, readPodMetrics, type MetricsReaderDeps } from '../metrics/metrics-reader.ts';
import { jsonResponse, type ApiRequest, type ApiResponse } from './http.ts';
import type { ResourceTypes } from './resource-types.ts';
import type { ResourceRoute } from './router.ts';
import { compileSelectors } from './selectors.ts';
import { includeObjectPolicy, renderTable, TABLE_CONTENT_TYPE, wantsTable } from './table.ts';

export interface MetricsApiDeps {
  store: ObjectStore;
  types: ResourceTypes;
  source: MetricsSource;
  now(): Date;
}

export function isMetricsType(type: ResourceType): boolean {
  return type.group === METRICS_GROUP;
}

async function listAll<T extends KubeObject>(store: ObjectStore, resource: string, namespace?: string): Promise<T[]> {
  const items: KubeObject[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(resource, { namespace, limit: 1000, continue: cont });
    items.push(...page.items);
    cont = page.continue;
  } while (cont);
  return items as T[];
}

export function metricsReader(deps: MetricsApiDeps): MetricsReaderDeps {
  return {
    source: deps.source,
    now: deps.now,
    listNodes: () => listAll<Node>(deps.store, 'core/nodes'),
    listPods: (namespace) => listAll<Pod>(deps.store, 'core/pods', namespace),
  };
}

export async function serveMetrics(deps: MetricsApiDeps, req: ApiRequest, route: ResourceRoute, type: ResourceType): Promise<ApiResponse> {
  if (route.subresource !== undefined) throw errors.noRoute();
  if (route.verb !== 'get' && route.verb !== 'list') throw errors.methodNotAllowed();
  const ref = { group: METRICS_GROUP, resource: type.resource };
  // Selectors name the underlying object's fields and labels (a node's or a pod's).
  const underlying = deps.types.find('', 'v1', type.resource);
  if (!underlying) throw errors.noRoute();
  const selector = compileSelectors(underlying, req.query.labelSelector, req.query.fieldSelector);
  const named = route.name;
  const include = (obj: KubeObject) => (named === undefined || obj.metadata.name === named) && (!selector || selector(obj));
  const reader = metricsReader(deps);
  const items: KubeObject[] =
    type.resource === 'nodes' ? await readNodeMetrics(reader, include) : await readPodMetrics(reader, route.namespace, include);

  if (named !== undefined) {
    const found = items[0];
    if (!found) throw errors.notFound(ref, named);
    if (wantsTable(req.headers.accept)) return table(req, type, [found], deps.now());
    return jsonResponse(200, found);
  }
  if (wantsTable(req.headers.accept)) return table(req, type, items, deps.now());
  return jsonResponse(200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: {}, items });
}

function table(req: ApiRequest, type: ResourceType, items: KubeObject[], now: Date): ApiResponse {
  const body = renderTable(type, items, { includeObject: includeObjectPolicy(req.query), now });
  return { status: 200, headers: { 'content-type': TABLE_CONTENT_TYPE }, body: JSON.stringify(body) };
}

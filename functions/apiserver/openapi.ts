/**
 * OpenAPI v3, generated from the kinds registry (kubectl-wire.md §1.2):
 * - `/openapi/v3`: the root listing EVERY served group-version (a missing GV makes kubectl fall back to v2 and fail
 *   validation) with a content hash in `serverRelativeURL`.
 * - `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V`: one document per GV. Every `patch` operation carries
 *   `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter, which is what makes kubectl and helm
 *   leave validation to the server (`fieldValidation=Strict`). `components.schemas` holds a JSON Schema per kind,
 *   generated from its zod schema and named like Kubernetes (`io.k8s.api.apps.v1.Deployment`), so `kubectl explain`
 *   can walk the fields we model.
 * - `/openapi/v2`: the same schemas as Swagger 2.0 (openapi-v2.ts), protobuf for kubectl, which needs it to validate
 *   a `kind: List` on the client. It has no paths, so kubectl still computes client-side-apply patches from the
 *   merge keys compiled into its own types, which is right for every built-in kind.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ObjectMetaSchema } from '../../shared/api/object.ts';
import { resourceTypes } from '../../shared/api/registry.ts';
import type { ResourceType, SubresourceSpec } from '../../shared/api/resource-type.ts';
import { errors } from '../../shared/api/status.ts';
import { servedGroupVersions } from './discovery.ts';
import { jsonResponse, type ApiRequest, type ApiResponse } from './http.ts';
import { acceptsSwaggerProtobuf, encodeSwaggerDocument, OPENAPI_V2_PROTOBUF, swaggerDocument } from './openapi-v2.ts';

type JsonSchema = Record<string, unknown>;
type Gvk = { group: string; version: string; kind: string };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const OBJECT_META = `${META}.ObjectMeta`;
const LIST_META = `${META}.ListMeta`;
const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const PATCH = `${META}.Patch`;
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** `api/v1`, `apis/apps/v1`: the key in the root document and the tail of the document's URL. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Kubernetes' schema names: `io.k8s.api.core.v1.Pod`, `io.k8s.api.rbac.v1.Role`, `io.k8s.api.apps.v1.Deployment`. */
export function schemaName({ group, version, kind }: Gvk): string {
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${kind}`;
  if (group === 'apiregistration.k8s.io') return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${version}.${kind}`;
  if (group === '') return `io.k8s.api.core.${version}.${kind}`;
  if (group.endsWith('.k8s.io') || !group.includes('.')) return `io.k8s.api.${group.split('.')[0]}.${version}.${kind}`;
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptions: cheap enrichment so `kubectl explain` says something useful where the zod schemas are silent.

const KIND_DESCRIPTIONS: Record<string, string> = {
  Pod: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
  Deployment: 'Deployment enables declarative updates for Pods and ReplicaSets.',
  ReplicaSet: 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
  StatefulSet: 'StatefulSet represents a set of pods with consistent identities.',
  DaemonSet: 'DaemonSet represents the configuration of a daemon set.',
  Job: 'Job represents the configuration of a single job.',
  CronJob: 'CronJob represents the configuration of a single cron job.',
  Service: 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  Namespace: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
  Node: 'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
  ConfigMap: 'ConfigMap holds configuration data for pods to consume.',
  Secret: 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
  ServiceAccount: 'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
  Event: 'Event is a report of an event somewhere in the cluster.',
  Endpoints: 'Endpoints is a collection of endpoints that implement the actual service.',
  EndpointSlice: 'EndpointSlice represents a set of service endpoints.',
  HorizontalPodAutoscaler: 'HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.',
  Lease: 'Lease defines a lease concept.',
  PodDisruptionBudget: 'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods.',
  ControllerRevision: 'ControllerRevision implements an immutable snapshot of state data.',
  Role: 'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.',
  RoleBinding: 'RoleBinding references a role, but does not contain it.',
  ClusterRole: 'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.',
  ClusterRoleBinding: 'ClusterRoleBinding references a ClusterRole, but not contain it.',
  PersistentVolumeClaim: "PersistentVolumeClaim is a user's request for and claim to a persistent volume.",
};

const FIELD_DESCRIPTIONS: Record<string, string> = {
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  kind: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
  metadata: "Standard object's metadata.",
  spec: 'Specification of the desired behavior of this object.',
  status: 'Most recently observed status of this object. Populated by the system. Read-only.',
  items: 'List of objects.',
  replicas: 'Number of desired pods.',
  selector: 'Label query over pods that should match the replica count. It must match the pod template\'s labels.',
  template: 'Template describes the pods that will be created.',
  containers: 'List of containers belonging to the pod.',
  initContainers: 'List of initialization containers belonging to the pod.',
  image: 'Container image name.',
  imagePullPolicy: 'Image pull policy. One of Always, Never, IfNotPresent.',
  command: 'Entrypoint array. Not executed within a shell.',
  args: 'Arguments to the entrypoint.',
  env: 'List of environment variables to set in the container.',
  ports: 'List of ports.',
  resources: 'Compute resources required by this container.',
  nodeName: 'NodeName indicates in which node this pod is scheduled.',
  restartPolicy: 'Restart policy for all containers within the pod. One of Always, OnFailure, Never.',
  strategy: 'The deployment strategy to use to replace existing pods with new ones.',
  type: 'Type of this object or field.',
  clusterIP: 'clusterIP is the IP address of the service and is usually assigned randomly.',
  data: 'Data contains the configuration or secret data.',
  labels: 'Map of string keys and values that can be used to organize and categorize (scope and select) objects.',
  annotations: 'Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.',
  conditions: 'Represents the latest available observations of the current state.',
  observedGeneration: 'The generation observed by the controller.',
};

const OBJECT_META_DESCRIPTIONS: Record<string, string> = {
  name: 'Name must be unique within a namespace. Cannot be updated.',
  generateName: 'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.',
  namespace: 'Namespace defines the space within which each name must be unique. Cannot be updated.',
  uid: 'UID is the unique in time and space value for this object. Populated by the system. Read-only.',
  resourceVersion: 'An opaque value that represents the internal version of this object, used for optimistic concurrency. Populated by the system. Read-only.',
  generation: 'A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.',
  creationTimestamp: 'CreationTimestamp is a timestamp representing the server time when this object was created. Populated by the system. Read-only.',
  deletionTimestamp: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. Set by the server when a graceful deletion is requested. Read-only.',
  deletionGracePeriodSeconds: 'Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.',
  labels: FIELD_DESCRIPTIONS.labels,
  annotations: FIELD_DESCRIPTIONS.annotations,
  finalizers: 'Must be empty before the object is deleted from the registry.',
  ownerReferences: 'List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.',
  managedFields: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
};

// ---------------------------------------------------------------------------------------------------------------
// zod → OpenAPI component schemas

/**
 * Tidies what zod emits into what kubectl's explain templates read well: no `$schema`, no safe-integer bounds, and
 * no `additionalProperties: {}` beside `properties` (explain would print such an object as a map).
 */
function tidy(node: unknown, visit: (schema: JsonSchema) => void = () => {}): unknown {
  if (Array.isArray(node)) return node.map((n) => tidy(n, visit));
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as JsonSchema).map(([p, s]) => [p, tidy(s, visit)])) : tidy(v, visit);
  }
  const extra = out.additionalProperties;
  if (out.properties && (extra === true || (extra && typeof extra === 'object' && Object.keys(extra).length === 0))) {
    delete out.additionalProperties;
  }
  visit(out);
  return out;
}

function describeFields(schema: JsonSchema, descriptions: Record<string, string>): void {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return;
  for (const [name, prop] of Object.entries(props)) {
    if (!prop.description && descriptions[name]) prop.description = descriptions[name];
  }
}

/** Converts one zod schema; recursive definitions are hoisted into components as `<name>.<def>`. */
function toComponentSchemas(name: string, schema: z.ZodType): Record<string, JsonSchema> {
  let raw: JsonSchema;
  try {
    raw = z.toJSONSchema(schema, { unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;
  } catch {
    // A schema zod cannot express (e.g. a transform): fall back to an open object rather than failing discovery.
    raw = { type: 'object' };
  }
  const text = JSON.stringify(raw).replace(/"#\/definitions\/([^"]+)"/g, (_m, def: string) => `"#/components/schemas/${name}.${def}"`);
  const rewritten = JSON.parse(text) as JsonSchema;
  const definitions = (rewritten.definitions ?? {}) as Record<string, JsonSchema>;
  delete rewritten.definitions;
  const describe = (s: JsonSchema): void => describeFields(s, FIELD_DESCRIPTIONS);
  const out: Record<string, JsonSchema> = { [name]: tidy(rewritten, describe) as JsonSchema };
  for (const [def, s] of Object.entries(definitions)) out[`${name}.${def}`] = tidy(s, describe) as JsonSchema;
  return out;
}

function kindSchemas(t: ResourceType): Record<string, JsonSchema> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const name = schemaName(gvk);
  const schemas = toComponentSchemas(name, t.schema);
  const root = schemas[name];
  root.type ??= 'object';
  root.description ??= KIND_DESCRIPTIONS[t.kind] ?? `${t.kind} is a ${t.group || 'core'}/${t.version} resource.`;
  const props = (root.properties ??= {}) as Record<string, JsonSchema>;
  // Metadata is the shared ObjectMeta component, referenced the way Kubernetes' v3 documents do it.
  props.metadata = { allOf: [ref(OBJECT_META)], default: {}, description: FIELD_DESCRIPTIONS.metadata };
  props.apiVersion ??= { type: 'string' };
  props.kind ??= { type: 'string' };
  describeFields(root, FIELD_DESCRIPTIONS);
  // Kubernetes never marks apiVersion/kind/metadata required (the server fills them from the path).
  if (Array.isArray(root.required)) {
    const required = root.required.filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r as string));
    if (required.length) root.required = required;
    else delete root.required;
  }
  root['x-kubernetes-group-version-kind'] = [gvk];
  schemas[schemaName({ ...gvk, kind: t.listKind })] = {
    type: 'object',
    description: `${t.listKind} is a list of ${t.kind} objects.`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: FIELD_DESCRIPTIONS.apiVersion },
      kind: { type: 'string', description: FIELD_DESCRIPTIONS.kind },
      metadata: { allOf: [ref(LIST_META)], default: {}, description: "Standard list metadata." },
      items: { type: 'array', description: `List of ${t.resource}.`, items: { allOf: [ref(name)], default: {} } },
    },
    'x-kubernetes-group-version-kind': [{ ...gvk, kind: t.listKind }],
  };
  return schemas;
}

function metaSchemas(): Record<string, JsonSchema> {
  const objectMeta = toComponentSchemas(OBJECT_META, ObjectMetaSchema);
  const root = objectMeta[OBJECT_META];
  root.description =
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.';
  describeFields(root, OBJECT_META_DESCRIPTIONS);
  const status = { group: '', version: 'v1', kind: 'Status' };
  return {
    ...objectMeta,
    [LIST_META]: {
      type: 'object',
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
      properties: {
        resourceVersion: { type: 'string', description: 'String that identifies the server\'s internal version of this object.' },
        continue: { type: 'string', description: 'continue may be set if the user set a limit on the number of items returned.' },
        remainingItemCount: { type: 'integer', format: 'int64', description: 'The number of subsequent items in the list which are not included in this list response.' },
      },
    },
    [STATUS]: {
      type: 'object',
      description: 'Status is a return value for calls that don\'t return other objects.',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        code: { type: 'integer', format: 'int32', description: 'Suggested HTTP return code for this status, 0 if not set.' },
        message: { type: 'string', description: 'A human-readable description of the status of this operation.' },
        reason: { type: 'string', description: 'A machine-readable description of why this operation is in the "Failure" status.' },
        status: { type: 'string', description: 'Status of the operation. One of: "Success" or "Failure".' },
        details: { type: 'object', description: 'Extended data associated with the reason.' },
      },
      'x-kubernetes-group-version-kind': [status],
    },
    [DELETE_OPTIONS]: {
      type: 'object',
      description: 'DeleteOptions may be provided when deleting an API object.',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        dryRun: { type: 'array', items: { type: 'string' } },
        gracePeriodSeconds: { type: 'integer', format: 'int64' },
        propagationPolicy: { type: 'string', description: "Whether and how garbage collection will be performed. One of 'Orphan', 'Background', 'Foreground'." },
        preconditions: { type: 'object' },
      },
      'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'DeleteOptions' }],
    },
    [PATCH]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

const query = (name: string, type: string, description: string): JsonSchema => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string): JsonSchema => ({ name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } });
const DRY_RUN = query('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = query('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.');
/** The marker kubectl's query-param verifier looks for on every `patch` operation of a kind. */
const FIELD_VALIDATION = query('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.');
const FORCE = query('force', 'boolean', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.');
const LIST_PARAMS = [
  query('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  query('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  query('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  query('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  query('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  query('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  query('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  query('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`.'),
  query('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  query('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];

/**
 * Patch bodies we accept. Deliberately NOT `application/strategic-merge-patch+json`: kubectl's client-side apply
 * would then build strategic patches from these schemas, which carry no merge keys, and replace lists wholesale.
 * Without it kubectl uses the merge keys compiled into its own types.
 */
const PATCH_CONTENT_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

interface OperationSpec {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  action: string;
  gvk: Gvk;
  /** Schema of the request body (put/post). */
  body?: JsonSchema;
  response: JsonSchema;
  params: JsonSchema[];
  operationId: string;
  description: string;
}

function operation(spec: OperationSpec, tag: string): JsonSchema {
  const op: JsonSchema = {
    tags: [tag],
    description: spec.description,
    operationId: spec.operationId,
    parameters: spec.params,
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: spec.response } } },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': spec.gvk,
  };
  if (spec.method === 'patch') {
    op.requestBody = { content: Object.fromEntries(PATCH_CONTENT_TYPES.map((c) => [c, { schema: ref(PATCH) }])), required: true };
  } else if (spec.body) {
    op.requestBody = { content: { '*/*': { schema: spec.body } }, required: true };
  }
  if (spec.method === 'post') (op.responses as JsonSchema)['201'] = { description: 'Created', content: { 'application/json': { schema: spec.response } } };
  return op;
}

const pascal = (s: string): string => s.replace(/(^|[-_.])(\w)/g, (_m, _sep, c: string) => c.toUpperCase());

function subresourceMethod(verb: string): OperationSpec['method'] | undefined {
  return ({ get: 'get', update: 'put', patch: 'patch', create: 'post', delete: 'delete' } as const)[verb as 'get'];
}

function resourcePaths(t: ResourceType, prefix: string, tag: string, knownSchemas: Set<string>): Record<string, JsonSchema> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const self = ref(schemaName(gvk));
  const list = ref(schemaName({ ...gvk, kind: t.listKind }));
  const scope = t.namespaced ? 'Namespaced' : '';
  const has = (v: string): boolean => (t.verbs as string[]).includes(v);
  const nsParam = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
  const nameParam = pathParam('name', `name of the ${t.kind}`);
  const scopeParams = t.namespaced ? [nsParam] : [];
  const collectionPath = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.resource}` : `${prefix}/${t.resource}`;
  const itemPath = `${collectionPath}/{name}`;
  const paths: Record<string, JsonSchema> = {};
  const add = (path: string, pathParams: JsonSchema[], ops: OperationSpec[]): void => {
    if (!ops.length) return;
    const item: JsonSchema = { parameters: pathParams };
    for (const op of ops) item[op.method] = operation(op, tag);
    paths[path] = item;
  };

  const collectionOps: OperationSpec[] = [];
  if (has('list')) collectionOps.push({ method: 'get', action: 'list', gvk, response: list, params: LIST_PARAMS, operationId: `list${scope}${t.kind}`, description: `list or watch objects of kind ${t.kind}` });
  if (has('create')) collectionOps.push({ method: 'post', action: 'post', gvk, body: self, response: self, params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], operationId: `create${scope}${t.kind}`, description: `create a ${t.kind}` });
  if (has('deletecollection')) collectionOps.push({ method: 'delete', action: 'deletecollection', gvk, body: ref(DELETE_OPTIONS), response: ref(STATUS), params: [DRY_RUN, ...LIST_PARAMS], operationId: `deleteCollection${scope}${t.kind}`, description: `delete collection of ${t.kind}` });
  add(collectionPath, scopeParams, collectionOps);

  const itemOps: OperationSpec[] = [];
  if (has('get')) itemOps.push({ method: 'get', action: 'get', gvk, response: self, params: [], operationId: `read${scope}${t.kind}`, description: `read the specified ${t.kind}` });
  if (has('update')) itemOps.push({ method: 'put', action: 'put', gvk, body: self, response: self, params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], operationId: `replace${scope}${t.kind}`, description: `replace the specified ${t.kind}` });
  if (has('patch')) itemOps.push({ method: 'patch', action: 'patch', gvk, response: self, params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], operationId: `patch${scope}${t.kind}`, description: `partially update the specified ${t.kind}` });
  if (has('delete')) itemOps.push({ method: 'delete', action: 'delete', gvk, body: ref(DELETE_OPTIONS), response: ref(STATUS), params: [DRY_RUN, query('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'), query('propagationPolicy', 'string', 'Whether and how garbage collection will be performed.')], operationId: `delete${scope}${t.kind}`, description: `delete a ${t.kind}` });
  add(itemPath, [nameParam, ...scopeParams], itemOps);

  if (t.namespaced && has('list')) {
    add(`${prefix}/${t.resource}`, [], [{ method: 'get', action: 'list', gvk, response: list, params: LIST_PARAMS, operationId: `list${t.kind}ForAllNamespaces`, description: `list or watch objects of kind ${t.kind}` }]);
  }

  for (const sub of t.subresources) {
    add(`${itemPath}/${sub.name}`, [nameParam, ...scopeParams], subresourceOps(t, sub, scope, knownSchemas));
  }
  return paths;
}

function subresourceOps(t: ResourceType, sub: SubresourceSpec, scope: string, knownSchemas: Set<string>): OperationSpec[] {
  const gvk = { group: sub.group, version: sub.version, kind: sub.kind };
  const name = schemaName(gvk);
  const schema = knownSchemas.has(name) ? ref(name) : { type: 'object' };
  const ops: OperationSpec[] = [];
  for (const verb of sub.verbs) {
    const method = subresourceMethod(verb);
    if (!method || ops.some((o) => o.method === method)) continue;
    const params = method === 'patch' ? [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE] : method === 'get' ? [] : [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
    const opName = { get: 'read', put: 'replace', post: 'create', patch: 'patch', delete: 'delete' }[method];
    ops.push({
      method,
      action: method === 'post' ? 'post' : method === 'put' ? 'put' : method,
      gvk,
      body: method === 'put' || method === 'post' ? schema : undefined,
      response: schema,
      params,
      operationId: `${opName}${scope}${t.kind}${pascal(sub.name)}`,
      description: `${verb} ${sub.name} of the specified ${t.kind}`,
    });
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------------------------
// Documents, hashed and memoized per registry

interface GvDocument {
  json: string;
  hash: string;
}

interface SwaggerDocument {
  json: string;
  protobuf: Buffer;
  hash: string;
}

interface OpenApiSet {
  root: string;
  documents: Map<string, GvDocument>;
  /** Built on first request: most clients never ask for v2. */
  v2?: SwaggerDocument;
}

const cache = new WeakMap<readonly ResourceType[], OpenApiSet>();

const DOCUMENT_VERSION = 'v1.35.0-zeroplane';

/** The OpenAPI v3 document of one group-version. */
export function groupVersionDocument(group: string, version: string, types: readonly ResourceType[] = resourceTypes): JsonSchema {
  const inGv = types.filter((t) => t.group === group && t.version === version);
  const byGvk = new Map(types.map((t) => [schemaName(t), t]));
  const schemas: Record<string, JsonSchema> = metaSchemas();
  for (const t of inGv) Object.assign(schemas, kindSchemas(t));
  // Subresource kinds from other GVs (Scale in apps/v1, Eviction in v1): the real schema when we model the kind,
  // otherwise an open object carrying its GVK.
  for (const sub of inGv.flatMap((t) => t.subresources)) {
    const name = schemaName(sub);
    if (schemas[name]) continue;
    const modeled = byGvk.get(name);
    if (modeled) Object.assign(schemas, kindSchemas(modeled));
    else schemas[name] = { type: 'object', description: `${sub.kind} (${sub.group || 'core'}/${sub.version}).`, 'x-kubernetes-group-version-kind': [{ group: sub.group, version: sub.version, kind: sub.kind }] };
  }
  const known = new Set(Object.keys(schemas));
  const prefix = `/${groupVersionPath(group, version)}`;
  const tag = `${group ? group.split('.')[0] : 'core'}_${version}`;
  const paths: Record<string, JsonSchema> = {};
  for (const t of inGv) Object.assign(paths, resourcePaths(t, prefix, tag, known));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: DOCUMENT_VERSION },
    paths,
    components: { schemas },
  };
}

function openapiSet(types: readonly ResourceType[]): OpenApiSet {
  const cached = cache.get(types);
  if (cached) return cached;
  const documents = new Map<string, GvDocument>();
  const rootPaths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of servedGroupVersions(types)) {
    const json = JSON.stringify(groupVersionDocument(group, version, types));
    const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
    const key = groupVersionPath(group, version);
    documents.set(key, { json, hash });
    rootPaths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  const set = { root: JSON.stringify({ paths: rootPaths }), documents };
  cache.set(types, set);
  return set;
}

/** The `/openapi/v3` root document: every served GV with its hashed URL. */
export function openapiRoot(types: readonly ResourceType[] = resourceTypes): { paths: Record<string, { serverRelativeURL: string }> } {
  return JSON.parse(openapiSet(types).root);
}

/** The Swagger 2.0 document: every component schema of every served group-version, as `definitions`. */
export function openapiV2Document(types: readonly ResourceType[] = resourceTypes): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  for (const { group, version } of servedGroupVersions(types)) {
    Object.assign(components, (groupVersionDocument(group, version, types).components as { schemas: Record<string, JsonSchema> }).schemas);
  }
  return swaggerDocument(components, DOCUMENT_VERSION);
}

function swaggerSet(types: readonly ResourceType[]): SwaggerDocument {
  const set = openapiSet(types);
  if (!set.v2) {
    const doc = openapiV2Document(types);
    const json = JSON.stringify(doc);
    set.v2 = { json, protobuf: Buffer.from(encodeSwaggerDocument(doc)), hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  }
  return set.v2;
}

/** Protobuf when asked for it (kubectl, client-go), JSON otherwise, like kube-apiserver; Etag for kubectl's HTTP cache. */
function swaggerResponse(req: ApiRequest, types: readonly ResourceType[]): ApiResponse {
  const doc = swaggerSet(types);
  const wantsProtobuf = acceptsSwaggerProtobuf(req.headers.accept);
  // One Etag for both encodings, as kube-apiserver does; `Vary: Accept` keeps caches apart.
  const etag = `"${doc.hash}"`;
  const headers = { 'content-type': wantsProtobuf ? OPENAPI_V2_PROTOBUF : 'application/json', etag, 'cache-control': 'no-cache, private', vary: 'Accept' };
  if (req.headers['if-none-match'] === etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: wantsProtobuf ? doc.protobuf : doc.json };
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function gvDocumentResponse(req: ApiRequest, doc: GvDocument, now: Date): ApiResponse {
  const etag = `"${doc.hash}"`;
  // The hash names the content, so a URL carrying the current hash can be cached forever (kubectl's HTTP cache
  // then never fetches it again); any other request must revalidate.
  const caching: Record<string, string> =
    req.query.hash === doc.hash
      ? { 'cache-control': 'public, immutable', expires: new Date(now.getTime() + YEAR_MS).toUTCString() }
      : { 'cache-control': 'no-cache, private' };
  const headers = { 'content-type': 'application/json', etag, ...caching };
  if (req.headers['if-none-match'] === etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: doc.json };
}

function notFound(): ApiResponse {
  const err = errors.noRoute();
  return jsonResponse(err.code, err.toStatus());
}

/** Answers GET `/openapi/v3`, `/openapi/v3/<gv>` and `/openapi/v2`; undefined for any other request. */
export function openapiResponse(req: ApiRequest, types: readonly ResourceType[] = resourceTypes, now: Date = new Date()): ApiResponse | undefined {
  if (req.method !== 'GET' || !req.path.startsWith('/openapi/')) return undefined;
  const path = req.path.replace(/\/$/, '');
  if (path === '/openapi/v2') return swaggerResponse(req, types);
  if (path === '/openapi/v3') return { status: 200, headers: { 'content-type': 'application/json' }, body: openapiSet(types).root };
  if (!path.startsWith('/openapi/v3/')) return undefined;
  const doc = openapiSet(types).documents.get(path.slice('/openapi/v3/'.length));
  return doc ? gvDocumentResponse(req, doc, now) : notFound();
}

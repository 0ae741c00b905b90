/**
 * `/openapi/v2`: the Swagger 2.0 document kubectl downloads for CLIENT-SIDE schema validation, built from the same
 * component schemas as the v3 documents.
 *
 * Why it exists: kubectl validates a `kind: List` on the client (its query-param verifier never lets the server
 * validate a List), against `definitions` looked up by `x-kubernetes-group-version-kind`. client-go's
 * `DiscoveryClient.OpenAPISchema` only accepts the protobuf encoding (`application/com.github.proto-openapi.spec.v2@
 * v1.0+protobuf`, gnostic's `openapi.v2.Document`); there is no JSON fallback. JSON is served to other clients.
 *
 * What it deliberately leaves out:
 * - `paths`. kubectl's client-side apply asks the v2 document which patch types a kind consumes and, if it names
 *   `application/strategic-merge-patch+json`, builds strategic patches from these schemas, which carry no merge keys
 *   (lists would be replaced wholesale). With no paths it keeps using the merge keys compiled into its own types.
 * - Closed schemas below the top level. kubectl's validator (kube-openapi `proto/validation`) reports every field a
 *   schema with `properties` does not name, and our kind schemas name what the server reads, not the whole API. So
 *   only the top level of each built-in kind and ObjectMeta/ListMeta are closed (their field sets are small and
 *   known); everything below is an open object. Unknown fields deeper down are still reported: kubectl sends each
 *   List item with `fieldValidation`, and the server's check (field-validation.ts) is the authority.
 * - `required`, enums and defaults: a schema quirk must never make kubectl refuse what the server accepts.
 */
import protobuf from 'protobufjs';

type JsonSchema = Record<string, unknown>;

/** The media type kube-apiserver answers with; clients ask for it or for the older `...spec.v2@v1.0+protobuf`
 *  (client-go does), which is no valid MIME type to answer with (client-go's mime parser rejects the `@`). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTOBUF_SUBTYPES = ['com.github.proto-openapi.spec.v2.v1.0+protobuf', 'com.github.proto-openapi.spec.v2@v1.0+protobuf'];

/** Whether an Accept header asks for the protobuf document before JSON, as kube-openapi's handler negotiates it. */
export function acceptsSwaggerProtobuf(accept: string | undefined): boolean {
  for (const clause of (accept ?? '').split(',')) {
    const [type, subtype] = clause.split(';')[0].trim().toLowerCase().split('/');
    if (type === 'application' && subtype && PROTOBUF_SUBTYPES.includes(subtype)) return true;
    if ((type === 'application' || type === '*') && (subtype === 'json' || subtype === '*')) return false;
  }
  return false;
}

const GVK_EXTENSION = 'x-kubernetes-group-version-kind';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Every field of k8s.io/apimachinery ObjectMeta and ListMeta: these are closed to catch `metadata.lables`. */
const META_FIELDS: Record<string, string[]> = {
  [`${META}.ObjectMeta`]: [
    'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
    'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers',
    'managedFields',
  ],
  [`${META}.ListMeta`]: ['selfLink', 'resourceVersion', 'continue', 'remainingItemCount'],
};

/**
 * Top-level field names of Kubernetes' built-in kinds (core, apps, batch, rbac, events, storage, scheduling, node,
 * admissionregistration, ...). A built-in kind's top level accepts what its schema declares plus these, so a schema
 * that forgets a real top-level field (Event `related`) cannot make kubectl refuse it.
 */
const TOP_LEVEL_FIELDS = `
apiVersion kind metadata spec status items data binaryData stringData type immutable subsets involvedObject reason
message source firstTimestamp lastTimestamp count eventTime series action related reportingComponent
reportingInstance regarding note reportingController deprecatedSource deprecatedFirstTimestamp
deprecatedLastTimestamp deprecatedCount secrets imagePullSecrets automountServiceAccountToken revision addressType
endpoints ports subjects roleRef rules aggregationRule template target deleteOptions webhooks provisioner parameters
reclaimPolicy volumeBindingMode allowedTopologies mountOptions allowVolumeExpansion value globalDefault description
preemptionPolicy handler overhead scheduling driverName nodeName`
  .split(/\s+/)
  .filter(Boolean);

const ref = (name: string): string => `#/definitions/${name}`;

function componentRef(schema: JsonSchema): string | undefined {
  if (typeof schema.$ref === 'string') return schema.$ref.replace('#/components/schemas/', '');
  const allOf = schema.allOf as JsonSchema[] | undefined;
  if (allOf?.length === 1 && !schema.properties && typeof allOf[0].$ref === 'string') return componentRef(allOf[0]);
  return undefined;
}

const PRIMITIVES = new Set(['string', 'integer', 'number', 'boolean']);

/** One schema below a closed level: references, arrays, maps and primitives kept; objects with fields left open. */
function openSchema(schema: JsonSchema, known: Set<string>): JsonSchema {
  const description = typeof schema.description === 'string' ? { description: schema.description } : {};
  const target = componentRef(schema);
  // kube-openapi refuses a $ref beside `type` or `properties`, and a $ref to a missing definition.
  if (target !== undefined) return known.has(target) ? { $ref: ref(target), ...description } : description;
  const type = schema.type;
  if (type === 'array') {
    // kube-openapi wants exactly one `items` schema.
    const items = schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items) ? (schema.items as JsonSchema) : {};
    return { type: 'array', ...description, items: openSchema(items, known) };
  }
  if (type === 'object' || schema.properties || schema.additionalProperties) {
    const extra = schema.additionalProperties;
    const values = !schema.properties && extra && typeof extra === 'object' ? { additionalProperties: openSchema(extra as JsonSchema, known) } : {};
    return { type: 'object', ...description, ...values };
  }
  if (typeof type === 'string' && PRIMITIVES.has(type)) {
    return { type, ...description, ...(typeof schema.format === 'string' ? { format: schema.format } : {}) };
  }
  // anyOf/oneOf/nullable-only/unknown: anything goes.
  return description;
}

/** A closed level: its declared fields (each an open schema) plus the extra names it must also accept. */
function closedSchema(schema: JsonSchema, extraFields: readonly string[], known: Set<string>): JsonSchema {
  const declared = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(declared)) properties[name] = openSchema(field, known);
  for (const name of extraFields) properties[name] ??= {};
  const out: JsonSchema = { type: 'object', properties };
  if (typeof schema.description === 'string') out.description = schema.description;
  if (schema[GVK_EXTENSION]) out[GVK_EXTENSION] = schema[GVK_EXTENSION];
  return out;
}

/** Built-in kinds (`io.k8s.*`) have a known top level; a custom resource's top level may hold anything. */
function isBuiltinKind(name: string, schema: JsonSchema): boolean {
  return name.startsWith('io.k8s.') && Array.isArray(schema[GVK_EXTENSION]) && !!schema.properties;
}

/** The Swagger 2.0 document (JSON form) for the v3 component schemas of every served group-version. */
export function swaggerDocument(components: Record<string, JsonSchema>, version: string): JsonSchema {
  const known = new Set(Object.keys(components));
  const definitions: Record<string, JsonSchema> = {};
  for (const name of [...known].sort()) {
    const schema = components[name];
    const metaFields = META_FIELDS[name];
    if (metaFields) definitions[name] = closedSchema(schema, metaFields, known);
    else if (isBuiltinKind(name, schema)) definitions[name] = closedSchema(schema, TOP_LEVEL_FIELDS, known);
    else {
      const open = openSchema(schema, known);
      if (schema[GVK_EXTENSION]) open[GVK_EXTENSION] = schema[GVK_EXTENSION];
      definitions[name] = open;
    }
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version }, paths: {}, definitions };
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf encoding: the part of gnostic's openapi.v2 messages (openapiv2/OpenAPIv2.proto) this document uses.
// Field numbers are the wire contract; names are only protobufjs' handles.

const root = protobuf.Root.fromJSON({
  nested: {
    Document: {
      fields: {
        swagger: { type: 'string', id: 1 },
        info: { type: 'Info', id: 2 },
        definitions: { type: 'Definitions', id: 9 },
      },
    },
    Info: { fields: { title: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } } },
    Definitions: { fields: { additionalProperties: { rule: 'repeated', type: 'NamedSchema', id: 1 } } },
    NamedSchema: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Schema', id: 2 } } },
    Schema: {
      fields: {
        ref: { type: 'string', id: 1 },
        format: { type: 'string', id: 2 },
        description: { type: 'string', id: 4 },
        additionalProperties: { type: 'AdditionalPropertiesItem', id: 21 },
        type: { type: 'TypeItem', id: 22 },
        items: { type: 'ItemsItem', id: 23 },
        properties: { type: 'Properties', id: 25 },
        vendorExtension: { rule: 'repeated', type: 'NamedAny', id: 31 },
      },
    },
    AdditionalPropertiesItem: { fields: { schema: { type: 'Schema', id: 1 } } },
    TypeItem: { fields: { value: { rule: 'repeated', type: 'string', id: 1 } } },
    ItemsItem: { fields: { schema: { rule: 'repeated', type: 'Schema', id: 1 } } },
    Properties: { fields: { additionalProperties: { rule: 'repeated', type: 'NamedSchema', id: 1 } } },
    NamedAny: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Any', id: 2 } } },
    // gnostic keeps extension values as YAML text; JSON is YAML.
    Any: { fields: { yaml: { type: 'string', id: 2 } } },
  },
});
const DocumentMessage = root.lookupType('Document');

function schemaMessage(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof schema.$ref === 'string') out.ref = schema.$ref;
  if (typeof schema.format === 'string') out.format = schema.format;
  if (typeof schema.description === 'string') out.description = schema.description;
  if (typeof schema.type === 'string') out.type = { value: [schema.type] };
  if (schema.items) out.items = { schema: [schemaMessage(schema.items as JsonSchema)] };
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.additionalProperties = { schema: schemaMessage(schema.additionalProperties as JsonSchema) };
  }
  if (schema.properties) out.properties = { additionalProperties: namedSchemas(schema.properties as Record<string, JsonSchema>) };
  const extensions = Object.entries(schema).filter(([k]) => k.startsWith('x-'));
  if (extensions.length) out.vendorExtension = extensions.map(([name, value]) => ({ name, value: { yaml: JSON.stringify(value) } }));
  return out;
}

function namedSchemas(schemas: Record<string, JsonSchema>): Record<string, unknown>[] {
  return Object.entries(schemas).map(([name, value]) => ({ name, value: schemaMessage(value) }));
}

/** gnostic `openapi.v2.Document` bytes of a document made by swaggerDocument. */
export function encodeSwaggerDocument(doc: JsonSchema): Uint8Array {
  const info = doc.info as { title: string; version: string };
  const message = DocumentMessage.fromObject({
    swagger: doc.swagger,
    info,
    definitions: { additionalProperties: namedSchemas(doc.definitions as Record<string, JsonSchema>) },
  });
  return DocumentMessage.encode(message).finish();
}

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../../functions/apiserver/http.ts';
import { openapiResponse, openapiV2Document, schemaName } from '../../../functions/apiserver/openapi.ts';
import { acceptsSwaggerProtobuf, encodeSwaggerDocument, swaggerDocument } from '../../../functions/apiserver/openapi-v2.ts';
import { resourceTypes } from '../../../shared/api/registry.ts';

const CLIENT_GO_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function get(headers: Record<string, string>): ApiResponse {
  const req: ApiRequest = { method: 'GET', path: '/openapi/v2', query: {}, headers, body: Buffer.alloc(0), signal: new AbortController().signal };
  const res = openapiResponse(req, resourceTypes);
  expect(res).toBeDefined();
  return res!;
}

/**
 * gnostic's openapiv2/OpenAPIv2.proto, the messages and field numbers client-go decodes with, written out here
 * independently of the encoder's table so that a wrong number there fails this test.
 */
const GNOSTIC_V2 = protobuf.parse(`
  syntax = "proto3";
  package openapi.v2;
  message Document { string swagger = 1; Info info = 2; Paths paths = 8; Definitions definitions = 9; }
  message Info { string title = 1; string version = 2; }
  message Paths { repeated NamedAny vendor_extension = 1; }
  message Definitions { repeated NamedSchema additional_properties = 1; }
  message NamedSchema { string name = 1; Schema value = 2; }
  message NamedAny { string name = 1; Any value = 2; }
  message Any { string yaml = 2; }
  message TypeItem { repeated string value = 1; }
  message ItemsItem { repeated Schema schema = 1; }
  message Properties { repeated NamedSchema additional_properties = 1; }
  message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
  message Schema {
    string _ref = 1; string format = 2; string title = 3; string description = 4;
    repeated string required = 19; AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22;
    ItemsItem items = 23; Properties properties = 25; repeated NamedAny vendor_extension = 31;
  }
`).root.lookupType('openapi.v2.Document');

type Json = any;

/** The decoded protobuf turned back into Swagger JSON, the way kube-openapi reads it. */
function fromProtobuf(bytes: Uint8Array): Json {
  const doc = GNOSTIC_V2.toObject(GNOSTIC_V2.decode(bytes), { defaults: false }) as Json;
  const schema = (s: Json): Json => {
    const out: Json = {};
    if (s._ref) out.$ref = s._ref;
    if (s.format) out.format = s.format;
    if (s.description) out.description = s.description;
    if (s.type) out.type = s.type.value.length === 1 ? s.type.value[0] : s.type.value;
    if (s.items) out.items = s.items.schema.length === 1 ? schema(s.items.schema[0]) : s.items.schema.map(schema);
    if (s.additionalProperties?.schema) out.additionalProperties = schema(s.additionalProperties.schema);
    if (s.required?.length) out.required = s.required;
    if (s.properties) out.properties = named(s.properties.additionalProperties ?? []);
    for (const ext of s.vendorExtension ?? []) out[ext.name] = JSON.parse(ext.value.yaml);
    return out;
  };
  const named = (list: Json[]): Json => Object.fromEntries(list.map((n) => [n.name, schema(n.value ?? {})]));
  return { swagger: doc.swagger, info: doc.info, paths: doc.paths ?? {}, definitions: named(doc.definitions?.additionalProperties ?? []) };
}

/**
 * What kubectl's client-side validator (k8s.io/kube-openapi/pkg/util/proto/validation) reports: a schema with
 * `properties` is closed (unknown fields) and checks its declared fields; `type: object` without them is a map of
 * its `additionalProperties` (anything when absent); no type and no properties accepts anything.
 */
function validate(doc: Json, schema: Json, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (schema.$ref) return validate(doc, doc.definitions[schema.$ref.replace('#/definitions/', '')], value, path);
  const isMap = typeof value === 'object' && !Array.isArray(value);
  if (schema.properties) {
    if (!isMap) return [`${path}: expected object`];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      v === null ? [] : schema.properties[k] ? validate(doc, schema.properties[k], v, `${path}.${k}`) : [`${path}: unknown field "${k}"`],
    );
  }
  if (schema.type === 'object') {
    if (!isMap) return [`${path}: expected object`];
    return schema.additionalProperties ? Object.entries(value as object).flatMap(([k, v]) => validate(doc, schema.additionalProperties, v, `${path}.${k}`)) : [];
  }
  if (schema.type === 'array') return Array.isArray(value) ? value.flatMap((v, i) => validate(doc, schema.items, v, `${path}[${i}]`)) : [`${path}: expected array`];
  if (schema.type === 'boolean' && typeof value !== 'boolean') return [`${path}: expected boolean`];
  if ((schema.type === 'integer' || schema.type === 'number') && typeof value !== 'number') return [`${path}: expected ${schema.type}`];
  if (schema.type === 'string' && typeof value === 'object') return [`${path}: expected string`];
  return [];
}

/** kubectl's LookupResource: the definition whose x-kubernetes-group-version-kind names the object's kind. */
function validateObject(doc: Json, obj: { apiVersion: string; kind: string }): string[] {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const found = Object.entries<Json>(doc.definitions).find(([, d]) =>
    (d['x-kubernetes-group-version-kind'] ?? []).some((g: Json) => g.group === group && g.version === version && g.kind === obj.kind),
  );
  if (!found) throw new Error(`no definition for ${obj.apiVersion} ${obj.kind}`);
  return validate(doc, found[1], obj, obj.kind);
}

const served = resourceTypes.filter((t) => t.group !== 'metrics.k8s.io');
const served_doc = (): Json => fromProtobuf(get({ accept: CLIENT_GO_ACCEPT }).body as Buffer);

describe('GET /openapi/v2', () => {
  it('answers client-go with the protobuf document, in the media type kube-apiserver answers with', () => {
    const res = get({ accept: CLIENT_GO_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect(served_doc()).toMatchObject({ swagger: '2.0', info: { title: 'Kubernetes' } });
  });

  it('answers other clients with the same document as JSON', () => {
    const res = get({ accept: 'application/json' });
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body as string)).toEqual(served_doc());
  });

  it('gives both encodings one Etag and answers 304 to a matching If-None-Match', () => {
    const pb = get({ accept: CLIENT_GO_ACCEPT });
    const json = get({ accept: 'application/json' });
    expect(pb.headers.etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(json.headers.etag).toBe(pb.headers.etag);
    expect(pb.headers.vary).toBe('Accept');
    expect(get({ accept: CLIENT_GO_ACCEPT, 'if-none-match': pb.headers.etag }).status).toBe(304);
    expect(get({ accept: CLIENT_GO_ACCEPT, 'if-none-match': '"stale"' }).status).toBe(200);
  });
});

describe('acceptsSwaggerProtobuf', () => {
  it.each([
    [CLIENT_GO_ACCEPT, true],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', true],
    ['application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', false],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.9, application/json', true],
    ['application/json', false],
    ['*/*', false],
    [undefined, false],
  ])('%s → %s', (accept, expected) => {
    expect(acceptsSwaggerProtobuf(accept)).toBe(expected);
  });
});

describe('the Swagger 2.0 document', () => {
  it('has a definition for every served kind and its List, found by x-kubernetes-group-version-kind', () => {
    const doc = served_doc();
    for (const t of served) {
      for (const kind of [t.kind, t.listKind]) {
        const def = doc.definitions[schemaName({ group: t.group, version: t.version, kind })];
        expect(def, `${t.group}/${t.version} ${kind}`).toBeDefined();
        expect(def['x-kubernetes-group-version-kind']).toEqual([{ group: t.group, version: t.version, kind }]);
      }
    }
  });

  it('has no paths, so kubectl apply never builds strategic patches from these schemas', () => {
    expect(served_doc().paths).toEqual({});
    expect(openapiV2Document().paths).toEqual({});
  });

  it('only holds schemas kube-openapi can parse (one type, one items schema, a $ref alone and to a definition)', () => {
    const doc = served_doc();
    const problems: string[] = [];
    const check = (s: Json, at: string): void => {
      if (s.$ref) {
        if (s.type || s.properties || s.items) problems.push(`${at}: $ref beside a type`);
        if (!doc.definitions[s.$ref.replace('#/definitions/', '')]) problems.push(`${at}: dangling ${s.$ref}`);
      }
      if (Array.isArray(s.type)) problems.push(`${at}: several types`);
      if (s.type === 'array' && (!s.items || Array.isArray(s.items))) problems.push(`${at}: array without exactly one items schema`);
      if (s.items) check(s.items, `${at}[]`);
      if (s.additionalProperties) check(s.additionalProperties, `${at}{}`);
      for (const [k, v] of Object.entries<Json>(s.properties ?? {})) check(v, `${at}.${k}`);
    };
    for (const [name, def] of Object.entries<Json>(doc.definitions)) check(def, name);
    expect(problems).toEqual([]);
  });

  it('round-trips through the protobuf encoding unchanged', () => {
    const json = openapiV2Document();
    expect(fromProtobuf(encodeSwaggerDocument(json))).toEqual(JSON.parse(JSON.stringify(json)));
  });
});

describe('client-side validation of List items against the document', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', labels: { a: 'b' } }, stringData: { k: 'v' }, type: 'Opaque' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          // Real fields our schemas may not declare: the server is the authority below the top level.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }],
          securityContext: { runAsNonRoot: true },
          containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '500m', memory: 1e8 } } }],
        },
      },
    },
  };

  it.each([
    ['a Secret', secret, []],
    ['a Deployment with fields the kind schema does not name', deployment, []],
    ['a Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80, targetPort: 'http' }] } }, []],
    ['an Event with a related object', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: {}, related: { kind: 'Pod' } }, []],
    ['a Secret as `kubectl get -o yaml` prints it', { ...secret, metadata: { ...secret.metadata, uid: 'u', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [] } }, []],
    ['a misspelt top-level field', { ...secret, strngData: {} }, ['Secret: unknown field "strngData"']],
    ['a misspelt metadata field', { ...secret, metadata: { name: 's', lables: {} } }, ['Secret.metadata: unknown field "lables"']],
    ['a wrongly typed top-level field', { ...secret, immutable: 'yes' }, ['Secret.immutable: expected boolean']],
    ['labels that are not a string map', { ...secret, metadata: { name: 's', labels: { a: { b: 1 } } } }, ['Secret.metadata.labels.a: expected string']],
  ])('%s', (_name, obj, expected) => {
    expect(validateObject(served_doc(), obj)).toEqual(expected);
  });

  it('leaves the top level of a custom resource open: its schema is the CRD author\'s', () => {
    const gvk = [{ group: 'example.com', version: 'v1', kind: 'Widget' }];
    const doc = swaggerDocument({ 'com.example.v1.Widget': { type: 'object', properties: { spec: { type: 'object' } }, 'x-kubernetes-group-version-kind': gvk } }, 'v1');
    expect(validateObject(doc, { apiVersion: 'example.com/v1', kind: 'Widget', anything: 1 } as never)).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../shared/api/status.ts';
import {
  decodeKubernetesProtobuf,
  isKubernetesProtobuf,
  registry,
  supportedProtobufKinds,
} from '../../../shared/protobuf/kubernetes-protobuf.ts';
import { envelope } from './wire-writer.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/protobuf');
const read = (name: string): Buffer => readFileSync(join(fixtures, name));

/** kubectl's `--dry-run=client -o json` output carries Go noise that a stored object should not: `{}` for unset
 *  structs, `null` for unset slices, and zeroed non-omitempty status fields. */
function withoutGoNoise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutGoNoise(x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const cleaned = withoutGoNoise(x, k);
      if (cleaned === undefined || cleaned === null) continue;
      if (typeof cleaned === 'object' && !Array.isArray(cleaned) && Object.keys(cleaned).length === 0) continue;
      out[k] = cleaned;
    }
    return out;
  }
  // An HPA's `status.desiredReplicas: 0` is the only non-omitempty zero in these samples.
  if (key === 'desiredReplicas' && v === 0) return undefined;
  return v;
}

const pairs = readdirSync(fixtures)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('decodeKubernetesProtobuf', () => {
  it('has a JSON twin for most captured bodies', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(18);
  });

  it.each(pairs)('decodes the captured kubectl body %s into the JSON kubectl would have sent', (name) => {
    const expected = withoutGoNoise(JSON.parse(read(`${name}.json`).toString('utf8')));
    const decoded = decodeKubernetesProtobuf(read(`${name}.pb`));
    expect(decoded.object).toEqual(expected);
    expect(decoded.apiVersion).toBe((expected as { apiVersion: string }).apiVersion);
    expect(decoded.kind).toBe((expected as { kind: string }).kind);
  });

  it('keeps a pointer field that is explicitly zero (replicas: 0)', () => {
    const { object } = decodeKubernetesProtobuf(read('create-deployment-zero-replicas.pb'));
    expect((object.spec as { replicas: number }).replicas).toBe(0);
  });

  it('drops zero values Go wrote for non-pointer fields', () => {
    const { object } = decodeKubernetesProtobuf(read('create-namespace.pb'));
    expect(object).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
  });

  it('turns ConfigMap binaryData into the base64 of the original bytes', () => {
    const { object } = decodeKubernetesProtobuf(read('create-configmap-binary.pb'));
    const binaryData = object.binaryData as Record<string, string>;
    expect(Buffer.from(binaryData['bin.dat'], 'base64')).toEqual(read('create-configmap-binary.bin.dat'));
  });

  it('decodes kubectl auth can-i into a SelfSubjectAccessReview', () => {
    expect(decodeKubernetesProtobuf(read('auth-can-i.pb')).object).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
    });
  });

  it('decodes kubectl create token into an empty TokenRequest', () => {
    expect(decodeKubernetesProtobuf(read('create-token.pb')).object).toEqual({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' });
  });

  it.each([
    ['helm-release-secret-create.pb', 'pending-install', 'createdAt'],
    ['helm-release-secret-deployed.pb', 'deployed', 'modifiedAt'],
  ])('decodes the helm release Secret %s with its labels, type and gzipped release', (file, status, stamp) => {
    const { object } = decodeKubernetesProtobuf(read(file));
    const secret = object as { metadata: { name: string; labels: Record<string, string> }; type: string; data: { release: string } };
    expect(secret.metadata.name).toBe('sh.helm.release.v1.rel.v1');
    expect(secret.type).toBe('helm.sh/release.v1');
    expect(secret.metadata.labels).toMatchObject({ name: 'rel', owner: 'helm', status, version: '1' });
    expect(secret.metadata.labels[stamp]).toMatch(/^\d+$/);
    // data.release is base64 (from the bytes field) of helm's own base64 of a gzip of the release JSON.
    const gz = Buffer.from(Buffer.from(secret.data.release, 'base64').toString('latin1'), 'base64');
    const release = JSON.parse(gunzipSync(gz).toString('utf8')) as { name: string; namespace: string };
    expect(release).toMatchObject({ name: 'rel', namespace: 'default' });
  });

  it('decodes the empty DeleteOptions helm sends when it deletes its release Secret', () => {
    expect(decodeKubernetesProtobuf(read('helm-delete-options.pb'))).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      object: { apiVersion: 'v1', kind: 'DeleteOptions' },
    });
  });

  it('decodes a hand-made DeleteOptions with every field set', () => {
    const body = envelope('v1', 'DeleteOptions', [
      [1, 0],
      [2, [[1, 'uid-1'], [2, '42']]],
      [3, false],
      [4, 'Foreground'],
      [5, 'All'],
    ]);
    expect(decodeKubernetesProtobuf(body).object).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1', resourceVersion: '42' },
      orphanDependents: false,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  it('decodes times, IntOrString strings, quantities and owner references from a hand-made Deployment', () => {
    const body = envelope('apps/v1', 'Deployment', [
      [1, [[1, 'web'], [8, [[1, 1_700_000_000]]], [13, [[1, 'ReplicaSet'], [3, 'rs'], [4, 'u'], [5, 'apps/v1'], [6, true]]]]],
      [
        2,
        [
          [4, [[1, 'RollingUpdate'], [2, [[1, [[1, 1], [3, '25%']]], [2, [[1, 0], [2, 1]]]]]]],
          [
            3,
            [
              [
                2,
                [
                  [
                    2,
                    [
                      [1, 'c'],
                      [8, [[1, [[1, 'cpu'], [2, [[1, '500m']]]]]]],
                      [10, [[1, [[2, [[1, '/healthz'], [2, [[1, 1], [3, 'http']]]]]]], [4, 5]]],
                      [7, [[1, 'A'], [3, [[4, [[1, [[1, 'sec']]], [2, 'k']]]]]]],
                    ],
                  ],
                  [4, -1],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
    expect(decodeKubernetesProtobuf(body).object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        creationTimestamp: '2023-11-14T22:13:20Z',
        ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', uid: 'u', apiVersion: 'apps/v1', controller: true }],
      },
      spec: {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                resources: { limits: { cpu: '500m' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
                env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'sec', key: 'k' } } }],
              },
            ],
            terminationGracePeriodSeconds: -1,
          },
        },
      },
    });
  });

  it.each([
    ['a body without the k8s\\0 prefix', Buffer.from('{"kind":"Namespace"}'), /not a Kubernetes protobuf message/],
    ['an unknown kind', envelope('v1', 'Pony', [[1, [[1, 'x']]]]), /no kind "Pony" is registered for version "v1"/],
    ['a non-zero field the tables do not know', envelope('v1', 'Namespace', [[1, [[1, 'x'], [99, 'surprise']]]]), /field 99 of meta.v1.ObjectMeta is not supported/],
    ['a truncated message', Buffer.concat([envelope('v1', 'Namespace', [[1, [[1, 'xyz']]]]).subarray(0, -2)]), /cannot be decoded|envelope/],
  ])('rejects %s with 400 BadRequest', (_what, body, message) => {
    let caught: unknown;
    try {
      decodeKubernetesProtobuf(body);
    } catch (err) {
      caught = err;
    }
    expect(isStatusError(caught)).toBe(true);
    if (!isStatusError(caught)) return;
    expect(caught.code).toBe(400);
    expect(caught.reason).toBe('BadRequest');
    expect(caught.message).toMatch(message);
  });

  it('accepts fields the tables do not know when Go wrote them as zeros', () => {
    const body = envelope('v1', 'Namespace', [[1, [[1, 'x'], [99, ''], [98, 0], [97, [[1, ''], [2, 0]]]]]]);
    expect(decodeKubernetesProtobuf(body).object).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
  });
});

describe('the protobuf field tables', () => {
  it('reference only messages that exist', () => {
    const wellKnown = new Set(['Time', 'Quantity', 'IntOrString', 'FieldsV1', 'RawExtension', 'string', 'bytes']);
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(registry)) {
      for (const f of Object.values(spec)) {
        const ref = f.type === 'message' ? f.message : f.type === 'map' ? f.mapValue : undefined;
        if (ref && !wellKnown.has(ref) && !registry[ref]) missing.push(`${name}.${f.name} → ${ref}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('cover the kinds kubectl and helm send as protobuf', () => {
    expect(supportedProtobufKinds()).toEqual(
      expect.arrayContaining([
        'v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/ServiceAccount', 'v1/Service', 'apps/v1/Deployment', 'batch/v1/Job',
        'batch/v1/CronJob', 'autoscaling/v2/HorizontalPodAutoscaler', 'authorization.k8s.io/v1/SelfSubjectAccessReview',
        'authentication.k8s.io/v1/TokenRequest', 'v1/DeleteOptions', 'meta.k8s.io/v1/DeleteOptions',
      ]),
    );
  });
});

describe('isKubernetesProtobuf', () => {
  it.each([
    ['application/vnd.kubernetes.protobuf', true],
    ['application/vnd.kubernetes.protobuf; charset=binary', true],
    ['application/json', false],
    [undefined, false],
  ])('says %s → %s', (type, expected) => {
    expect(isKubernetesProtobuf(type)).toBe(expected);
  });
});

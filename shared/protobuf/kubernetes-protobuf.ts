/**
 * Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`), decoded into the JSON
 * object the client would have sent as JSON. kubectl's typed clients and helm's release storage send nothing else.
 *
 * Envelope: the magic `k8s\0`, then runtime.Unknown { typeMeta(1){apiVersion(1), kind(2)}, raw(2),
 * contentEncoding(3), contentType(4) }; `raw` is the typed object's own message.
 */
import { errors } from '../api/status.ts';
import { decodeMessage, ProtobufDecodeError, type Registry } from './decode-message.ts';
import type { MessageSpec } from './schema.ts';
import { appsV1 } from './types/apps-v1.ts';
import { authV1 } from './types/auth-v1.ts';
import { autoscalingV2 } from './types/autoscaling-v2.ts';
import { batchV1 } from './types/batch-v1.ts';
import { coreV1 } from './types/core-v1.ts';
import { metaV1 } from './types/meta-v1.ts';
import { rbacV1 } from './types/rbac-v1.ts';
import { WireError, WireReader } from './wire.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

export const registry: Registry = { ...metaV1, ...coreV1, ...appsV1, ...batchV1, ...autoscalingV2, ...authV1, ...rbacV1 };

const envelope: Record<string, MessageSpec> = {
  Unknown: {
    1: { name: 'typeMeta', type: 'message', message: 'TypeMeta' },
    2: { name: 'raw', type: 'bytes' },
    3: { name: 'contentEncoding', type: 'string' },
    4: { name: 'contentType', type: 'string' },
  },
  TypeMeta: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
};

/** `apiVersion/kind` → message. meta.v1 option kinds arrive with the group-version of the request path
 *  (`v1` from core clients), so they are registered under every version they were seen with. */
const kinds: Record<string, string> = {
  'v1/Namespace': 'core.v1.Namespace',
  'v1/ConfigMap': 'core.v1.ConfigMap',
  'v1/Secret': 'core.v1.Secret',
  'v1/ServiceAccount': 'core.v1.ServiceAccount',
  'v1/Service': 'core.v1.Service',
  'v1/Pod': 'core.v1.Pod',
  'apps/v1/Deployment': 'apps.v1.Deployment',
  'batch/v1/Job': 'batch.v1.Job',
  'batch/v1/CronJob': 'batch.v1.CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscaling.v2.HorizontalPodAutoscaler',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'authorization.v1.SelfSubjectAccessReview',
  'authentication.k8s.io/v1/TokenRequest': 'authentication.v1.TokenRequest',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'authorization.v1.SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'authorization.v1.SubjectAccessReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'authentication.v1.SelfSubjectReview',
  'authentication.k8s.io/v1/TokenReview': 'authentication.v1.TokenReview',
};
const optionKinds = ['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions'];
for (const gv of ['v1', 'meta.k8s.io/v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1']) {
  for (const k of optionKinds) kinds[`${gv}/${k}`] = `meta.v1.${k}`;
}

/** The `apiVersion/kind` pairs this server can decode from protobuf. */
export function supportedProtobufKinds(): string[] {
  return Object.keys(kinds);
}

export function isKubernetesProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  /** The object as its JSON encoding would be, `apiVersion` and `kind` included. */
  object: Record<string, unknown>;
}

export function decodeKubernetesProtobuf(body: Uint8Array): DecodedProtobuf {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest('the body of the request is not a Kubernetes protobuf message: missing the "k8s\\x00" prefix');
  }
  let unknown: Record<string, unknown>;
  try {
    unknown = decodeMessage(body.subarray(MAGIC.length), 'Unknown', envelope);
  } catch (err) {
    throw errors.badRequest(`unable to decode the protobuf envelope: ${(err as Error).message}`);
  }
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  if (unknown.contentEncoding) {
    throw errors.badRequest(`protobuf content encoding "${String(unknown.contentEncoding)}" is not supported`);
  }
  const message = kinds[`${apiVersion}/${kind}`];
  if (!message) {
    throw errors.badRequest(
      `no kind "${kind}" is registered for version "${apiVersion}" in the protobuf decoder of this server; send the object as application/json`,
    );
  }
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  try {
    const object = decodeMessage(raw, message, registry);
    return { apiVersion, kind, object: { apiVersion, kind, ...object } };
  } catch (err) {
    if (err instanceof ProtobufDecodeError || err instanceof WireError) {
      throw errors.badRequest(`${kind} in version "${apiVersion}" cannot be decoded from protobuf: ${err.message}`);
    }
    throw err;
  }
}


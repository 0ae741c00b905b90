/**
 * The one seam between the API core and the Kubernetes protobuf decoder (shared/protobuf). Typed clientsets
 * (kubectl create namespace, helm release Secrets, DeleteOptions) send protobuf bodies with no JSON fallback
 * (kubectl-wire §1.3).
 */
import { decodeKubernetesProtobuf } from '../../shared/protobuf/kubernetes-protobuf.ts';

export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  return decodeKubernetesProtobuf(body).object;
}

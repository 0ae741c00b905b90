/**
 * Node ↔ EC2 instance: a Node names its instance in spec.providerID, `aws:///<zone>/<instance id>` (the form the
 * Kubernetes AWS cloud provider writes; `aws://<zone>/<id>` is accepted too). Nothing else links the two.
 */
import type { Node } from '../../shared/api/kinds/node.ts';

export interface AwsInstanceRef {
  zone: string;
  instanceId: string;
}

const PROVIDER_ID = /^aws:\/\/\/?([a-z0-9-]*)\/(i-[0-9a-f]{8,17})$/;

export function parseProviderId(providerId: string | undefined): AwsInstanceRef | undefined {
  const m = PROVIDER_ID.exec(providerId ?? '');
  return m ? { zone: m[1], instanceId: m[2] } : undefined;
}

export function providerIdFor(ref: AwsInstanceRef): string {
  return `aws:///${ref.zone}/${ref.instanceId}`;
}

export function instanceOf(node: Node): AwsInstanceRef | undefined {
  return parseProviderId(node.spec?.providerID);
}

export function isNodeReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * What a Service write allocates: a ClusterIP (unless headless `None` or ExternalName) and a nodePort per port for
 * NodePort/LoadBalancer Services. Mirrors apiserver's service REST: explicit values are honoured and refused with
 * 422 when taken or out of range; allocations are released on delete and when an update drops them.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { FieldError } from '../../shared/api/resource-type.ts';
import { fieldErrors } from '../../shared/api/validation.ts';
import type { Allocators } from './allocators.ts';

interface ServicePort {
  nodePort?: number;
  [k: string]: unknown;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  [k: string]: unknown;
}

function specOf(svc: KubeObject): ServiceSpec {
  const holder = svc as { spec?: ServiceSpec };
  holder.spec ??= {};
  return holder.spec;
}

function ownerKey(svc: KubeObject): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
}

function wantsClusterIp(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName';
}

function wantsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

export interface AllocationOutcome {
  errors: FieldError[];
  /** Undo what this call allocated (the write failed or was refused). */
  rollback(): Promise<void>;
  /** Release what the old object held and the new one no longer does (after a successful update). */
  commit(): Promise<void>;
}

/**
 * Allocates in place on `svc` (create when `old` is undefined, update otherwise). On errors everything allocated
 * by this call has already been rolled back.
 */
export async function allocateService(alloc: Allocators, svc: KubeObject, old?: KubeObject): Promise<AllocationOutcome> {
  const spec = specOf(svc);
  const oldSpec = old ? specOf(structuredClone(old)) : undefined;
  const owner = ownerKey(svc);
  const claimedIps: string[] = [];
  const claimedPorts: number[] = [];
  const errs: FieldError[] = [];
  const toRelease: { ips: string[]; ports: number[] } = { ips: [], ports: [] };

  const oldIp = oldSpec && wantsClusterIp(oldSpec) && oldSpec.clusterIP && oldSpec.clusterIP !== 'None' ? oldSpec.clusterIP : undefined;
  if (wantsClusterIp(spec)) {
    const requested = spec.clusterIP || spec.clusterIPs?.[0] || undefined;
    if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
    } else if (oldSpec && (requested === undefined || requested === oldIp) && oldSpec.clusterIP) {
      // ClusterIP is immutable in practice: an update that omits it keeps the old one.
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs ?? [oldSpec.clusterIP];
    } else {
      const res = await alloc.allocateIp(owner, requested);
      if (res.ok) {
        if (res.fresh) claimedIps.push(res.value);
        spec.clusterIP = res.value;
        spec.clusterIPs = [res.value];
        if (oldIp && oldIp !== res.value) toRelease.ips.push(oldIp);
      } else {
        errs.push(fieldErrors.invalid('spec.clusterIPs', [requested ?? ''], res.message));
      }
    }
  } else {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    if (oldIp) toRelease.ips.push(oldIp);
  }

  const oldPorts = new Set((oldSpec && wantsNodePorts(oldSpec) ? oldSpec.ports ?? [] : []).map((p) => p.nodePort).filter((p): p is number => typeof p === 'number'));
  const keptPorts = new Set<number>();
  if (wantsNodePorts(spec)) {
    for (const [i, port] of (spec.ports ?? []).entries()) {
      if (typeof port.nodePort === 'number' && port.nodePort !== 0 && oldPorts.has(port.nodePort)) {
        keptPorts.add(port.nodePort);
        continue;
      }
      const requested = typeof port.nodePort === 'number' && port.nodePort !== 0 ? port.nodePort : undefined;
      const res = await alloc.allocateNodePort(owner, requested);
      if (res.ok) {
        if (res.fresh) claimedPorts.push(res.value);
        port.nodePort = res.value;
      } else {
        errs.push(fieldErrors.invalid(`spec.ports[${i}].nodePort`, requested, res.message));
      }
    }
  } else {
    for (const port of spec.ports ?? []) delete port.nodePort;
  }
  for (const p of oldPorts) if (!keptPorts.has(p)) toRelease.ports.push(p);

  const rollback = async () => {
    for (const ip of claimedIps) await alloc.releaseIp(owner, ip);
    for (const p of claimedPorts) await alloc.releaseNodePort(owner, p);
  };
  if (errs.length) await rollback();
  return {
    errors: errs,
    rollback,
    commit: async () => {
      for (const ip of toRelease.ips) await alloc.releaseIp(owner, ip);
      for (const p of toRelease.ports) await alloc.releaseNodePort(owner, p);
    },
  };
}

/** Frees everything a deleted Service held. */
export async function releaseService(alloc: Allocators, svc: KubeObject): Promise<void> {
  const spec = specOf(structuredClone(svc));
  const owner = ownerKey(svc);
  if (spec.clusterIP && spec.clusterIP !== 'None') await alloc.releaseIp(owner, spec.clusterIP);
  for (const port of spec.ports ?? []) if (typeof port.nodePort === 'number') await alloc.releaseNodePort(owner, port.nodePort);
}

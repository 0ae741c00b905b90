/** Object builders for the pure controller and scheduler tests. */
import type { Deployment } from '../../../shared/api/kinds/deployment.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import type { OwnerReference } from '../../../shared/api/object.ts';

export const T0 = new Date('2025-01-01T00:00:00Z');

export function iso(d: Date, plusSeconds = 0): string {
  return new Date(d.getTime() + plusSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface PodOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  owner?: OwnerReference;
  nodeName?: string;
  phase?: string;
  ready?: boolean;
  readySince?: string;
  created?: string;
  deleting?: boolean;
  requests?: Record<string, string>;
  hostPort?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: NonNullable<Pod['spec']['tolerations']>;
  affinity?: Record<string, unknown>;
  restartPolicy?: string;
  exitCode?: number;
}

export function pod(o: PodOptions): Pod {
  const conditions = o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? iso(T0) }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${o.name}`,
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: o.created ?? iso(T0),
      ...(o.owner ? { ownerReferences: [o.owner] } : {}),
      ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx',
          ...(o.requests ? { resources: { requests: o.requests } } : {}),
          ...(o.hostPort ? { ports: [{ containerPort: 80, hostPort: o.hostPort, protocol: 'TCP' }] } : {}),
        },
      ],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      restartPolicy: o.restartPolicy ?? 'Always',
      tolerations: o.tolerations ?? [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
    status: {
      phase: o.phase ?? (o.nodeName ? 'Running' : 'Pending'),
      conditions,
      ...(o.exitCode !== undefined ? { containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'nginx', imageID: '', state: { terminated: { exitCode: o.exitCode } } }] } : {}),
    },
  };
}

export function ownerRef(kind: string, name: string, apiVersion = 'apps/v1'): OwnerReference {
  return { apiVersion, kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true };
}

export interface NodeOptions {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  ready?: 'True' | 'False' | 'Unknown';
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  labels?: Record<string, string>;
  zone?: string;
}

export function node(o: NodeOptions): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      uid: `uid-${o.name}`,
      labels: { 'kubernetes.io/hostname': o.name, ...(o.zone ? { 'topology.kubernetes.io/zone': o.zone } : {}), ...(o.labels ?? {}) },
    },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: o.ready ?? 'True' }],
    },
  };
}

export const TEMPLATE = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1' }], restartPolicy: 'Always' },
};

export function replicaSet(name: string, replicas: number, o: { owner?: OwnerReference; status?: ReplicaSet['status']; generation?: number; template?: ReplicaSet['spec']['template']; minReadySeconds?: number } = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { ...(o.template ?? TEMPLATE).metadata!.labels },
      generation: o.generation ?? 1,
      creationTimestamp: iso(T0),
      ...(o.owner ? { ownerReferences: [o.owner] } : {}),
    },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: structuredClone(o.template ?? TEMPLATE), ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}) },
    ...(o.status ? { status: o.status } : {}),
  };
}

export function deployment(o: {
  name?: string;
  replicas?: number;
  image?: string;
  strategy?: Deployment['spec']['strategy'];
  paused?: boolean;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  generation?: number;
} = {}): Deployment {
  const name = o.name ?? 'web';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: o.generation ?? 1, creationTimestamp: iso(T0) },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1' }], restartPolicy: 'Always' } },
      strategy: o.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      ...(o.paused ? { paused: true } : {}),
    },
  };
}

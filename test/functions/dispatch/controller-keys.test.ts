import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../shared/api/object.ts';
import { gcKey, keysForChange, parseGcKey, type ObjectChange } from '../../../functions/dispatch/controller-keys.ts';
import type { ControllerKey } from '../../../functions/pipeline/queue-message.ts';

function obj(apiVersion: string, kind: string, name: string, namespace: string | undefined, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, ...meta }, ...extra };
}

const rsRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'uid-web-5d8f', controller: true };
const deployRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true };

function pod(extra: { nodeName?: string; phase?: string; ready?: string; ip?: string; labels?: Record<string, string>; deleting?: boolean; owners?: unknown[]; schedulerName?: string } = {}): KubeObject {
  return obj(
    'v1',
    'Pod',
    'web-5d8f-abcde',
    'default',
    {
      spec: { containers: [{ name: 'c', image: 'nginx' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), ...(extra.schedulerName ? { schedulerName: extra.schedulerName } : {}) },
      status: {
        phase: extra.phase ?? 'Pending',
        ...(extra.ip ? { podIP: extra.ip } : {}),
        ...(extra.ready ? { conditions: [{ type: 'Ready', status: extra.ready, lastTransitionTime: '2026-01-01T00:00:00Z' }] } : {}),
      },
    },
    {
      labels: extra.labels ?? { app: 'web' },
      ownerReferences: extra.owners ?? [rsRef],
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
  );
}

function node(extra: { ready?: string; heartbeat?: string; unschedulable?: boolean; cpu?: string } = {}): KubeObject {
  return obj('v1', 'Node', 'node-1', undefined, {
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: {
      allocatable: { cpu: extra.cpu ?? '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: extra.ready ?? 'True', lastHeartbeatTime: extra.heartbeat ?? '2026-01-01T00:00:00Z' }],
    },
  });
}

const podChange = (oldObject?: KubeObject, newObject?: KubeObject): ObjectChange => ({ resource: 'core/pods', namespace: 'default', name: 'web-5d8f-abcde', oldObject, newObject });
const nodeChange = (oldObject?: KubeObject, newObject?: KubeObject): ObjectChange => ({ resource: 'core/nodes', namespace: '', name: 'node-1', oldObject, newObject });

const k = (controller: ControllerKey['controller'], key: string): ControllerKey => ({ controller, key });
const podGc = gcKey('core/pods', 'default', 'web-5d8f-abcde');
const rsGc = gcKey('apps/replicasets', 'default', 'web-5d8f');

function sorted(keys: ControllerKey[]): string[] {
  return keys.map((x) => `${x.controller} ${x.key}`).sort();
}

describe('keysForChange', () => {
  it.each<[string, ObjectChange, ControllerKey[]]>([
    [
      'a new unbound pod wakes its ReplicaSet, the scheduler, the endpoints of its namespace and the gc (dangling owner check)',
      podChange(undefined, pod()),
      [k('replicaset', 'default/web-5d8f'), k('scheduler', 'default/web-5d8f-abcde'), k('endpoints', 'default'), k('gc', podGc)],
    ],
    ['binding a pod wakes its owner only (endpoints read nodeName too)', podChange(pod(), pod({ nodeName: 'node-1' })), [k('replicaset', 'default/web-5d8f'), k('endpoints', 'default')]],
    [
      'a pod status change that endpoints do not show wakes only its owner',
      podChange(pod({ nodeName: 'n', phase: 'Running', ip: '10.0.0.1', ready: 'True' }), {
        ...pod({ nodeName: 'n', phase: 'Running', ip: '10.0.0.1', ready: 'True' }),
        status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }], containerStatuses: [{ restartCount: 1 }] },
      }),
      [k('replicaset', 'default/web-5d8f')],
    ],
    [
      'a pod becoming ready wakes its owner and the endpoints',
      podChange(pod({ nodeName: 'n', phase: 'Running', ip: '10.0.0.1', ready: 'False' }), pod({ nodeName: 'n', phase: 'Running', ip: '10.0.0.1', ready: 'True' })),
      [k('replicaset', 'default/web-5d8f'), k('endpoints', 'default'), k('disruption', 'default')],
    ],
    [
      'a ready pod removed wakes the disruption budgets of its namespace',
      podChange(pod({ nodeName: 'n', phase: 'Running', ready: 'True' }), undefined),
      [k('replicaset', 'default/web-5d8f'), k('scheduler', '*unschedulable'), k('endpoints', 'default'), k('disruption', 'default'), k('gc', podGc), k('gc', rsGc)],
    ],
    [
      'a bound pod removed frees capacity: scheduler retry, owner, endpoints, gc for itself and its owner',
      podChange(pod({ nodeName: 'n', phase: 'Running' }), undefined),
      [k('replicaset', 'default/web-5d8f'), k('scheduler', '*unschedulable'), k('endpoints', 'default'), k('gc', podGc), k('gc', rsGc)],
    ],
    [
      'a bound pod that finishes frees capacity',
      podChange(pod({ nodeName: 'n', phase: 'Running' }), pod({ nodeName: 'n', phase: 'Succeeded' })),
      [k('replicaset', 'default/web-5d8f'), k('scheduler', '*unschedulable'), k('endpoints', 'default')],
    ],
    [
      'a pod starting to delete wakes the gc for its dependents and is not scheduled',
      podChange(pod(), pod({ deleting: true })),
      [k('replicaset', 'default/web-5d8f'), k('endpoints', 'default'), k('gc', podGc)],
    ],
    ['a pod for another scheduler is left alone by ours', podChange(undefined, pod({ schedulerName: 'other', owners: [] })), [k('endpoints', 'default')]],
    [
      'a pod released by its ReplicaSet wakes the old owner and the gc of that owner',
      podChange(pod(), pod({ owners: [] })),
      [k('replicaset', 'default/web-5d8f'), k('scheduler', 'default/web-5d8f-abcde'), k('gc', rsGc)],
    ],
    [
      'a Job pod wakes the job',
      podChange(undefined, pod({ nodeName: 'n', owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'u', controller: true }] })),
      [k('job', 'default/pi'), k('endpoints', 'default'), k('gc', podGc)],
    ],
    [
      'a non-controller owner reference wakes only the gc',
      podChange(undefined, pod({ nodeName: 'n', owners: [{ ...rsRef, controller: false }] })),
      [k('endpoints', 'default'), k('gc', podGc)],
    ],
    [
      'a ReplicaSet change wakes itself and its Deployment',
      { resource: 'apps/replicasets', namespace: 'default', name: 'web-5d8f', oldObject: obj('apps/v1', 'ReplicaSet', 'web-5d8f', 'default', {}, { ownerReferences: [deployRef] }), newObject: obj('apps/v1', 'ReplicaSet', 'web-5d8f', 'default', { status: { replicas: 1 } }, { ownerReferences: [deployRef] }) },
      [k('replicaset', 'default/web-5d8f'), k('deployment', 'default/web')],
    ],
    ['a Deployment change wakes the deployment key', { resource: 'apps/deployments', namespace: 'default', name: 'web', newObject: obj('apps/v1', 'Deployment', 'web', 'default') }, [k('deployment', 'default/web')]],
    [
      'a removed Deployment wakes the gc for its dependents',
      { resource: 'apps/deployments', namespace: 'default', name: 'web', oldObject: obj('apps/v1', 'Deployment', 'web', 'default') },
      [k('deployment', 'default/web'), k('gc', gcKey('apps/deployments', 'default', 'web'))],
    ],
    [
      'a Job owned by a CronJob wakes both',
      { resource: 'batch/jobs', namespace: 'ops', name: 'backup-1', newObject: obj('batch/v1', 'Job', 'backup-1', 'ops', {}, { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: 'c', controller: true }] }) },
      [k('job', 'ops/backup-1'), k('cronjob', 'ops/backup'), k('gc', gcKey('batch/jobs', 'ops', 'backup-1'))],
    ],
    ['a new node wakes scheduling, DaemonSets, node lifecycle, load balancers and routes', nodeChange(undefined, node()), [k('scheduler', '*unschedulable'), k('daemonset', '*'), k('nodelifecycle', 'node-1'), k('loadbalancer', '*'), k('route', 'vpc')]],
    ['a node heartbeat wakes nobody', nodeChange(node(), node({ heartbeat: '2026-01-01T00:00:10Z' })), []],
    ['a cordoned node wakes scheduling, DaemonSets and node lifecycle', nodeChange(node(), node({ unschedulable: true })), [k('scheduler', '*unschedulable'), k('daemonset', '*'), k('nodelifecycle', 'node-1')]],
    ['a node going NotReady wakes node lifecycle, load balancers and the cloud node check', nodeChange(node(), node({ ready: 'Unknown' })), [k('scheduler', '*unschedulable'), k('daemonset', '*'), k('nodelifecycle', 'node-1'), k('loadbalancer', '*'), k('cloudnode', 'node-1')]],
    [
      'a removed node wakes the same and the gc',
      nodeChange(node(), undefined),
      [k('scheduler', '*unschedulable'), k('daemonset', '*'), k('nodelifecycle', 'node-1'), k('loadbalancer', '*'), k('route', 'vpc'), k('gc', gcKey('core/nodes', '', 'node-1'))],
    ],
    [
      'a new node lease wakes node lifecycle',
      { resource: 'coordination.k8s.io/leases', namespace: 'kube-node-lease', name: 'node-1', newObject: obj('coordination.k8s.io/v1', 'Lease', 'node-1', 'kube-node-lease') },
      [k('nodelifecycle', 'node-1')],
    ],
    [
      'a lease renewal wakes nobody (expiry is the resync)',
      {
        resource: 'coordination.k8s.io/leases',
        namespace: 'kube-node-lease',
        name: 'node-1',
        oldObject: obj('coordination.k8s.io/v1', 'Lease', 'node-1', 'kube-node-lease', { spec: { renewTime: 'a' } }),
        newObject: obj('coordination.k8s.io/v1', 'Lease', 'node-1', 'kube-node-lease', { spec: { renewTime: 'b' } }),
      },
      [],
    ],
    ['a Service change wakes the endpoints of its namespace', { resource: 'core/services', namespace: 'default', name: 'web', newObject: obj('v1', 'Service', 'web', 'default', { spec: { type: 'ClusterIP' } }) }, [k('endpoints', 'default')]],
    [
      'a LoadBalancer Service also wakes the cloud load balancer controller',
      { resource: 'core/services', namespace: 'default', name: 'web', oldObject: obj('v1', 'Service', 'web', 'default', { spec: { type: 'LoadBalancer' } }), newObject: obj('v1', 'Service', 'web', 'default', { spec: { type: 'ClusterIP' } }) },
      [k('endpoints', 'default'), k('loadbalancer', 'default/web')],
    ],
    [
      'a namespace change wakes the namespace controller and the default ServiceAccount',
      { resource: 'core/namespaces', namespace: '', name: 'team-a', newObject: obj('v1', 'Namespace', 'team-a', undefined) },
      [k('namespace', 'team-a'), k('serviceaccount', 'team-a')],
    ],
    [
      'a deleting namespace needs no ServiceAccount',
      { resource: 'core/namespaces', namespace: '', name: 'team-a', newObject: obj('v1', 'Namespace', 'team-a', undefined, {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }) },
      [k('namespace', 'team-a'), k('gc', gcKey('core/namespaces', '', 'team-a'))],
    ],
    [
      'a removed ServiceAccount wakes the ServiceAccount controller of its namespace',
      { resource: 'core/serviceaccounts', namespace: 'team-a', name: 'default', oldObject: obj('v1', 'ServiceAccount', 'default', 'team-a') },
      [k('serviceaccount', 'team-a'), k('gc', gcKey('core/serviceaccounts', 'team-a', 'default'))],
    ],
    [
      'a PodDisruptionBudget change wakes the budgets of its namespace',
      { resource: 'policy/poddisruptionbudgets', namespace: 'default', name: 'web', newObject: obj('policy/v1', 'PodDisruptionBudget', 'web', 'default') },
      [k('disruption', 'default')],
    ],
    ['an Event wakes nobody', { resource: 'core/events', namespace: 'default', name: 'e1', newObject: obj('v1', 'Event', 'e1', 'default', {}, { ownerReferences: [rsRef] }) }, []],
    ['a ConfigMap without owners wakes nobody', { resource: 'core/configmaps', namespace: 'default', name: 'cfg', newObject: obj('v1', 'ConfigMap', 'cfg', 'default') }, []],
    [
      'a ControllerRevision wakes its DaemonSet',
      { resource: 'apps/controllerrevisions', namespace: 'kube-system', name: 'ds-1', newObject: obj('apps/v1', 'ControllerRevision', 'ds-1', 'kube-system', {}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'd', controller: true }] }) },
      [k('daemonset', 'kube-system/ds'), k('gc', gcKey('apps/controllerrevisions', 'kube-system', 'ds-1'))],
    ],
  ])('%s', (_name, change, expected) => {
    expect(sorted(keysForChange(change))).toEqual(sorted(expected));
  });

  it('gives the same keys whatever the order of duplicated deliveries', () => {
    const changes = [podChange(undefined, pod()), podChange(pod(), pod({ nodeName: 'n' })), podChange(pod({ nodeName: 'n' }), undefined)];
    const forward = changes.flatMap((c) => sorted(keysForChange(c)));
    const backward = [...changes, ...changes].reverse().flatMap((c) => sorted(keysForChange(c)));
    expect(new Set(backward)).toEqual(new Set(forward));
  });
});

describe('gcKey', () => {
  it.each([
    ['apps/replicasets', 'default', 'web-1'],
    ['core/nodes', '', 'node-1'],
    ['discovery.k8s.io/endpointslices', 'ns', 'web-abc.def'],
  ])('round-trips %s %s/%s', (resource, namespace, name) => {
    expect(parseGcKey(gcKey(resource, namespace, name))).toEqual({ resource, namespace, name });
  });
});

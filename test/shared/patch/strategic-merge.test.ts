import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../shared/api/status.ts';
import { strategicMerge } from '../../../shared/patch/strategic-merge.ts';

const deployment = { group: 'apps', kind: 'Deployment' };
const pod = { group: '', kind: 'Pod' };

function liveDeployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'busybox' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'x', operator: 'Exists' }],
        },
      },
    },
  };
}

type Spec = { template: { spec: { containers: Array<Record<string, unknown>>; [k: string]: unknown } }; [k: string]: unknown };
const specOf = (o: Record<string, unknown>): Spec => o.spec as Spec;

describe('strategicMerge', () => {
  it('keeps ports and env when the second kubectl apply sends only name and image with $setElementOrder', () => {
    const patch = {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.28', name: 'c' }] } } },
    };
    const out = strategicMerge(liveDeployment(), patch, deployment);
    const [c, sidecar] = specOf(out).template.spec.containers;
    expect(c).toEqual({
      name: 'c',
      image: 'nginx:1.28',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    });
    expect(sidecar).toEqual({ name: 'sidecar', image: 'busybox' });
  });

  it('does not modify its arguments', () => {
    const live = liveDeployment();
    const before = structuredClone(live);
    const patch = { spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const patchBefore = structuredClone(patch);
    strategicMerge(live, patch, deployment);
    expect(live).toEqual(before);
    expect(patch).toEqual(patchBefore);
  });

  it.each([
    [
      'merges env by name, adding new entries at the end',
      { containers: [{ name: 'c', env: [{ name: 'B', value: '22' }, { name: 'C', value: '3' }] }] },
      (c: Record<string, unknown>) =>
        expect(c.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '22' }, { name: 'C', value: '3' }]),
    ],
    [
      'deletes a list item with $patch: delete',
      { containers: [{ name: 'c', env: [{ name: 'A', $patch: 'delete' }] }] },
      (c: Record<string, unknown>) => expect(c.env).toEqual([{ name: 'B', value: '2' }]),
    ],
    [
      'merges container ports by containerPort',
      { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] },
      (c: Record<string, unknown>) => expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]),
    ],
    [
      'merges volumeMounts by mountPath',
      { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/data', readOnly: true }] }] },
      (c: Record<string, unknown>) => expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]),
    ],
    [
      'replaces a whole list with a $patch: replace element',
      { containers: [{ name: 'c', env: [{ $patch: 'replace' }, { name: 'Z', value: '9' }] }] },
      (c: Record<string, unknown>) => expect(c.env).toEqual([{ name: 'Z', value: '9' }]),
    ],
    [
      'deletes a field given null',
      { containers: [{ name: 'c', volumeMounts: null }] },
      (c: Record<string, unknown>) => expect(c).not.toHaveProperty('volumeMounts'),
    ],
    [
      'replaces an atomic list (command) whole',
      { containers: [{ name: 'c', command: ['sleep', '1'] }] },
      (c: Record<string, unknown>) => expect(c.command).toEqual(['sleep', '1']),
    ],
  ])('%s', (_name, podSpecPatch, check) => {
    const out = strategicMerge(liveDeployment(), { spec: { template: { spec: podSpecPatch } } }, deployment);
    check(specOf(out).template.spec.containers[0]);
  });

  it('replaces tolerations (no patch strategy) rather than merging them', () => {
    const out = strategicMerge(liveDeployment(), { spec: { template: { spec: { tolerations: [{ key: 'y', operator: 'Exists' }] } } } }, deployment);
    expect(specOf(out).template.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('adds a container that is not there and drops directives from it', () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'new', image: 'redis', env: [{ name: 'X', value: '1', $patch: 'merge' }], args: null }] } } } };
    const out = strategicMerge(liveDeployment(), patch, deployment);
    expect(specOf(out).template.spec.containers.map((c) => c.name)).toEqual(['c', 'sidecar', 'new']);
    expect(specOf(out).template.spec.containers[2]).toEqual({ name: 'new', image: 'redis', env: [{ name: 'X', value: '1' }] });
  });

  it('orders the containers by $setElementOrder while server-only items keep their place', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'new' }, { name: 'c' }], containers: [{ name: 'new', image: 'redis' }] } } } };
    const out = strategicMerge(liveDeployment(), patch, deployment);
    expect(specOf(out).template.spec.containers.map((c) => c.name)).toEqual(['new', 'c', 'sidecar']);
  });

  it('merges finalizers as a set and removes values with $deleteFromPrimitiveList', () => {
    const added = strategicMerge(liveDeployment(), { metadata: { finalizers: ['b', 'a'] } }, deployment);
    expect((added.metadata as { finalizers: string[] }).finalizers).toEqual(['a', 'b']);
    const removed = strategicMerge(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, deployment);
    expect((removed.metadata as { finalizers: string[] }).finalizers).toEqual(['b']);
  });

  it('prunes the strategy with $retainKeys when switching to Recreate', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };
    expect(specOf(strategicMerge(liveDeployment(), patch, deployment)).strategy).toEqual({ type: 'Recreate' });
  });

  it('replaces a map with $patch: replace and deletes one with $patch: delete', () => {
    const replaced = strategicMerge(liveDeployment(), { metadata: { labels: { $patch: 'replace', tier: 'fe' } } }, deployment);
    expect((replaced.metadata as { labels: unknown }).labels).toEqual({ tier: 'fe' });
    const deleted = strategicMerge(liveDeployment(), { spec: { strategy: { $patch: 'delete' } } }, deployment);
    expect(specOf(deleted)).not.toHaveProperty('strategy');
  });

  it('merges labels and deletes one given null, as kubectl label does', () => {
    const out = strategicMerge(liveDeployment(), { metadata: { labels: { tier: 'fe', app: null } } }, deployment);
    expect((out.metadata as { labels: unknown }).labels).toEqual({ tier: 'fe' });
  });

  it('merges pod conditions by type and ownerReferences by uid', () => {
    const live = {
      metadata: { ownerReferences: [{ uid: 'u1', name: 'rs1', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
    };
    const out = strategicMerge(
      live,
      {
        metadata: { ownerReferences: [{ uid: 'u1', controller: true }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
      pod,
    );
    expect(out).toEqual({
      metadata: { ownerReferences: [{ uid: 'u1', name: 'rs1', kind: 'ReplicaSet', apiVersion: 'apps/v1', controller: true }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] },
    });
  });

  it('merges service ports by port', () => {
    const live = { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
    const out = strategicMerge(live, { spec: { ports: [{ port: 80, nodePort: 30080 }] } }, { group: '', kind: 'Service' });
    expect(out).toEqual({ spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }, { port: 443, protocol: 'TCP' }] } });
  });

  it('sets spec.unschedulable the way kubectl cordon does', () => {
    const out = strategicMerge({ spec: { podCIDR: '10.0.0.0/24' } }, { spec: { unschedulable: true } }, { group: '', kind: 'Node' });
    expect(out).toEqual({ spec: { podCIDR: '10.0.0.0/24', unschedulable: true } });
  });

  it('merges an annotation the way kubectl rollout restart does', () => {
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T10:00:00Z' } } } } };
    const out = strategicMerge(liveDeployment(), patch, deployment);
    expect((specOf(out).template as unknown as { metadata: unknown }).metadata).toEqual({
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T10:00:00Z' },
    });
  });

  it.each([
    ['a patch that is not an object', ['x'], 400],
    ['a merge-list item without its key', { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 400],
    ['keys outside $retainKeys', { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 422],
    ['an unknown $patch directive', { spec: { $patch: 'explode' } }, 400],
  ])('rejects %s', (_name, patch, code) => {
    let caught: unknown;
    try {
      strategicMerge(liveDeployment(), patch, deployment);
    } catch (err) {
      caught = err;
    }
    expect(isStatusError(caught) && caught.code).toBe(code);
  });
});

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../shared/api/object.ts';
import { deployments } from '../../../../shared/api/kinds/deployment.ts';
import { jobs } from '../../../../shared/api/kinds/job.ts';
import { services } from '../../../../shared/api/kinds/service.ts';
import { nodes } from '../../../../shared/api/kinds/node.ts';
import { namespaces } from '../../../../shared/api/kinds/namespace.ts';

const now = new Date('2026-01-01T01:00:00Z');
const meta = (name: string, namespace = 'default') => ({ name, namespace, creationTimestamp: '2026-01-01T00:00:00Z' });

function deployment(spec: Record<string, unknown>): KubeObject & Record<string, any> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec } as KubeObject & Record<string, any>;
}
const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } });

describe('Deployment strategy', () => {
  it('defaults replicas, strategy, history and deadline, and the pod template', () => {
    const d = deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) });
    deployments.strategy.applyDefaults(d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(deployments.strategy.validate(d)).toEqual([]);
  });

  it('rejects a selector that does not match the template labels', () => {
    const d = deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'api' }) });
    deployments.strategy.applyDefaults(d);
    expect(deployments.strategy.validate(d)).toEqual([
      {
        field: 'spec.template.metadata.labels',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it('keeps the selector immutable on update', () => {
    const old = deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web', v: '2' }) });
    const next = deployment({ selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) });
    deployments.strategy.applyDefaults(old);
    deployments.strategy.applyDefaults(next);
    const errs = deployments.strategy.validate(next, old);
    expect(errs.map((e) => [e.field, e.message.endsWith('field is immutable')])).toEqual([['spec.selector', true]]);
  });

  it('rejects a restart policy other than Always in the template', () => {
    const d = deployment({ selector: { matchLabels: { app: 'web' } }, template: { ...template({ app: 'web' }), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } });
    deployments.strategy.applyDefaults(d);
    expect(deployments.strategy.validate(d).map((e) => `${e.field}: ${e.message}`)).toEqual(['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });

  it('prints READY as ready/desired', () => {
    const d = deployment({ replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) });
    d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    expect(deployments.table.cells(d, now)).toEqual(['web', '2/3', 3, 2, '60m', 'c', 'nginx:1.27', 'app=web']);
  });
});

describe('Job strategy', () => {
  it('generates the selector and template labels from the uid', () => {
    const j = { apiVersion: 'batch/v1', kind: 'Job', metadata: { ...meta('pi'), uid: 'u-1' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'perl' }] } } } } as KubeObject & Record<string, any>;
    jobs.strategy.applyDefaults(j);
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    expect(j.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    expect(j.spec.template.metadata.labels['job-name']).toBe('pi');
    expect(jobs.strategy.validate(j)).toEqual([]);
  });
});

describe('Service strategy and table', () => {
  const svc = (spec: Record<string, unknown>, status?: unknown) =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec, ...(status ? { status } : {}) }) as KubeObject & Record<string, any>;

  it('defaults type, affinity, protocol, targetPort and traffic policies', () => {
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80 }] });
    services.strategy.applyDefaults(s);
    expect(s.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(services.strategy.validate(s)).toEqual([]);
  });

  it('uses a DNS-1035 label for names', () => {
    const s = svc({ ports: [{ port: 80 }] });
    s.metadata.name = '1web';
    services.strategy.applyDefaults(s);
    expect(services.strategy.validate(s)[0].message).toContain('a DNS-1035 label must consist of lower case alphanumeric characters');
  });

  it('rejects an out-of-range port and a changed clusterIP', () => {
    const s = svc({ ports: [{ port: 70000 }], clusterIP: '10.96.0.9' });
    services.strategy.applyDefaults(s);
    const old = svc({ ports: [{ port: 80 }], clusterIP: '10.96.0.8' });
    services.strategy.applyDefaults(old);
    expect(services.strategy.validate(s, old).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      // targetPort was defaulted from port, so Kubernetes reports it too.
      'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.9"}: may not change once set',
    ]);
  });

  it.each([
    [{ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }] }, undefined, ['ClusterIP', '10.96.0.10', '<none>', '80/TCP']],
    [{ type: 'NodePort', clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }, undefined, ['NodePort', '10.96.0.11', '<none>', '80:30080/TCP']],
    [{ type: 'LoadBalancer', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ports: [{ port: 80, nodePort: 30081, protocol: 'TCP' }] }, undefined, ['LoadBalancer', '10.96.0.12', '<pending>', '80:30081/TCP']],
    [{ type: 'LoadBalancer', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ports: [{ port: 443, nodePort: 30443, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } }, ['LoadBalancer', '10.96.0.12', '127.0.0.1', '443:30443/TCP']],
    [{ type: 'ExternalName', externalName: 'example.com' }, undefined, ['ExternalName', '<none>', 'example.com', '<none>']],
  ])('prints %j', (spec, status, expected) => {
    const cells = services.table.cells(svc(spec, status), now);
    expect(cells.slice(1, 5)).toEqual(expected);
  });
});

describe('Node and Namespace tables', () => {
  it('prints Ready,SchedulingDisabled and <none> roles', () => {
    const n = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.35.0' } } };
    expect(nodes.table.cells(n, now).slice(0, 5)).toEqual(['n1', 'Ready,SchedulingDisabled', '<none>', '60m', 'v1.35.0']);
  });

  it('reads roles from node-role labels', () => {
    const n = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    expect(nodes.table.cells(n, now).slice(1, 3)).toEqual(['NotReady', 'control-plane']);
  });

  it('defaults a namespace to Active with the kubernetes finalizer', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } } as KubeObject & Record<string, any>;
    namespaces.strategy.applyDefaults(ns);
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(namespaces.strategy.validate(ns)).toEqual([]);
  });
});

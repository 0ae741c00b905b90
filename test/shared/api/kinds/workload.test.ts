import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../shared/api/object.ts';
import type { ResourceType } from '../../../../shared/api/resource-type.ts';
import { applyRollingUpdateDefaults } from '../../../../shared/api/kinds/workload.ts';
import { deployments } from '../../../../shared/api/kinds/deployment.ts';
import { daemonsets } from '../../../../shared/api/kinds/daemonset.ts';
import { statefulsets } from '../../../../shared/api/kinds/statefulset.ts';
import { replicasets } from '../../../../shared/api/kinds/replicaset.ts';
import { jobs } from '../../../../shared/api/kinds/job.ts';
import { cronjobs } from '../../../../shared/api/kinds/cronjob.ts';

type Obj = KubeObject & Record<string, any>;
const now = new Date('2026-01-01T01:00:00Z');
const meta = { name: 'w', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' };
const podTemplate = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] } };
const selector = { matchLabels: { app: 'w' } };

describe('applyRollingUpdateDefaults', () => {
  it.each([
    ['an unset strategy', {}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
    ['an empty type', { updateStrategy: { type: '' } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
    ['a partly set rollingUpdate', { updateStrategy: { rollingUpdate: { maxSurge: 2 } } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 2 } }],
    ['OnDelete, which gets no rollingUpdate', { updateStrategy: { type: 'OnDelete' } }, { type: 'OnDelete' }],
  ])('defaults %s', (_, spec: Record<string, any>, expected) => {
    applyRollingUpdateDefaults(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
    expect(spec.updateStrategy).toStrictEqual(expected);
  });
});

describe('the workloads update-strategy defaults', () => {
  it.each([
    ['Deployment', deployments, 'strategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }],
    ['DaemonSet', daemonsets, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
    ['StatefulSet', statefulsets, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }],
  ])('gives a %s its RollingUpdate defaults', (kind, type: ResourceType, field, expected) => {
    const obj = { apiVersion: 'apps/v1', kind, metadata: meta, spec: { selector, template: structuredClone(podTemplate) } } as Obj;
    type.strategy.applyDefaults(obj);
    expect(obj.spec[field]).toStrictEqual(expected);
    expect(obj.spec.revisionHistoryLimit).toBe(10);
  });
});

describe('the pod-template wide columns', () => {
  const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { schedule: '* * * * *', jobTemplate: { spec: { selector, template: podTemplate } } } };
  it.each([
    ['Deployment', deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { selector, template: podTemplate } }],
    ['DaemonSet', daemonsets, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector, template: podTemplate } }],
    ['ReplicaSet', replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: { selector, template: podTemplate } }],
    ['Job', jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: { selector, template: podTemplate } }],
    ['CronJob', cronjobs, cronJob],
  ])('ends a %s row with its containers, images and selector after AGE', (_, type: ResourceType, obj) => {
    const names = type.table.columns.map((c) => c.name);
    expect(names.slice(-4)).toEqual(['Age', 'Containers', 'Images', 'Selector']);
    expect(type.table.columns.slice(-3).map((c) => c.priority)).toEqual([1, 1, 1]);
    expect(type.table.cells(obj as Obj, now).slice(-4)).toEqual(['60m', 'a,b', 'x:1,y:2', 'app=w']);
  });

  it('prints empty containers and <none> for a missing template and selector', () => {
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: {} } as Obj;
    expect(replicasets.table.cells(rs, now).slice(-3)).toEqual(['', '', '<none>']);
  });
});

describe('StatefulSet validation', () => {
  const mounting = (claims: string[]) => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta,
      spec: {
        selector,
        template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'a', image: 'x:1', volumeMounts: [{ name: 'www', mountPath: '/data' }] }] } },
        volumeClaimTemplates: claims.map((name) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } })),
      },
    } as Obj;
    statefulsets.strategy.applyDefaults(obj);
    return statefulsets.strategy.validate(obj).map((e) => `${e.field}: ${e.message}`);
  };

  it.each([
    ['accepts a mount of one of its volumeClaimTemplates', ['www'], []],
    ['refuses a mount of a volume nobody defines', ['other'], ['spec.template.spec.containers[0].volumeMounts[0].name: Not found: "www"']],
  ])('%s', (_, claims, expected) => {
    expect(mounting(claims)).toEqual(expected);
  });
});

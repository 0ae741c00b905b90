import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../shared/api/object.ts';
import { pods } from '../../../../shared/api/kinds/pod.ts';
import { defaultImagePullPolicy } from '../../../../shared/api/kinds/pod-spec.ts';

function pod(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, spec, ...extra };
}

function defaulted(obj: KubeObject): KubeObject & Record<string, any> {
  pods.strategy.applyDefaults(obj);
  return obj as KubeObject & Record<string, any>;
}

describe('defaultImagePullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['docker.io/library/nginx', 'Always'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['localhost:5000/team/app:latest', 'Always'],
    ['nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31', 'IfNotPresent'],
    ['nginx:1.27@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31', 'IfNotPresent'],
    ['', 'IfNotPresent'],
  ])('%j → %s', (image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
  });
});

describe('Pod defaulting', () => {
  it('fills the pod-spec and container defaults Kubernetes fills', () => {
    const p = defaulted(pod({ containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] }));
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccountName: 'default',
      enableServiceLinks: true,
    });
    expect(p.spec.containers[0]).toEqual({
      name: 'c',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
    });
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('keeps an explicit pull policy and copies limits into missing requests', () => {
    const p = defaulted(pod({ containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }));
    expect(p.spec.containers[0].imagePullPolicy).toBe('Never');
    expect(p.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(p.status.qosClass).toBe('Guaranteed');
  });

  it('defaults probes and volumes', () => {
    const p = defaulted(
      pod({
        containers: [{ name: 'c', image: 'nginx', readinessProbe: { httpGet: { port: 80 } } }],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'x' } }],
      }),
    );
    expect(p.spec.containers[0].readinessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(p.spec.volumes).toEqual([{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'x', defaultMode: 420 } }]);
  });
});

describe('Pod validation', () => {
  function errorsOf(obj: KubeObject, old?: KubeObject) {
    pods.strategy.applyDefaults(obj);
    if (old) pods.strategy.applyDefaults(old);
    return pods.strategy.validate(obj, old).map((e) => `${e.field}: ${e.message}`);
  }

  it('accepts a minimal pod', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'nginx' }] }))).toEqual([]);
  });

  it('words a bad name like the apiserver', () => {
    const p = pod({ containers: [{ name: 'c', image: 'nginx' }] });
    p.metadata.name = 'Foo_bar';
    expect(errorsOf(p)).toEqual([
      `metadata.name: Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it.each([
    [{ containers: [{ name: 'c' }] }, 'spec.containers[0].image: Required value'],
    [{ containers: [] }, 'spec.containers: Required value'],
    [{ containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 70000 }] }] }, 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    [{ containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Sometimes' }] }, 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
    [{ containers: [{ name: 'c', image: 'x' }, { name: 'c', image: 'y' }] }, 'spec.containers[1].name: Duplicate value: "c"'],
    [{ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'x' }] }, 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    [{ containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }, 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    [{ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }, 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  ])('reports %j', (spec, message) => {
    expect(errorsOf(pod(spec))).toContain(message);
  });

  it('reports bad label keys and values', () => {
    const p = pod({ containers: [{ name: 'c', image: 'x' }] });
    p.metadata.labels = { 'bad key': 'ok', good: 'bad value' };
    const errs = errorsOf(p);
    expect(errs[0]).toMatch(/^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/);
    expect(errs[1]).toMatch(/^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string or consist of/);
  });

  it('allows only image changes on update', () => {
    const old = pod({ containers: [{ name: 'c', image: 'nginx:1' }] });
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'nginx:2' }] }), structuredClone(old))).toEqual([]);
    const changed = errorsOf(pod({ containers: [{ name: 'c', image: 'nginx:1', command: ['sh'] }] }), structuredClone(old));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  });

  it('lets the binding set nodeName once', () => {
    const old = pod({ containers: [{ name: 'c', image: 'nginx:1' }] });
    const bound = pod({ containers: [{ name: 'c', image: 'nginx:1' }], nodeName: 'n1' });
    expect(errorsOf(structuredClone(bound), structuredClone(old))).toEqual([]);
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'nginx:1' }], nodeName: 'n2' }), bound)).toHaveLength(1);
  });

  it('bumps generation on spec changes only', () => {
    const a = defaulted(pod({ containers: [{ name: 'c', image: 'nginx:1' }] }));
    const b = structuredClone(a);
    b.metadata.labels = { x: 'y' };
    b.status.phase = 'Running';
    expect(pods.strategy.specChanged!(b, a)).toBe(false);
    b.spec.containers[0].image = 'nginx:2';
    expect(pods.strategy.specChanged!(b, a)).toBe(true);
  });
});

describe('Pod table', () => {
  const now = new Date('2026-01-01T00:05:00Z');
  const spec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }], nodeName: 'n1' };
  const running = (ready: boolean, restartCount = 0) => ({ ready, restartCount, image: 'x', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:10Z' } } });

  it.each([
    ['pending, no statuses', { phase: 'Pending' }, ['0/2', 'Pending', '0']],
    ['all running and ready', { phase: 'Running', containerStatuses: [{ name: 'a', ...running(true) }, { name: 'b', ...running(true) }] }, ['2/2', 'Running', '0']],
    [
      'crash looping',
      {
        phase: 'Running',
        containerStatuses: [
          { name: 'a', ...running(true) },
          {
            name: 'b',
            ready: false,
            restartCount: 4,
            image: 'y',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:04:00Z' } },
          },
        ],
      },
      ['1/2', 'CrashLoopBackOff', '4 (60s ago)'],
    ],
    [
      'completed',
      {
        phase: 'Succeeded',
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'b', ready: false, restartCount: 0, image: 'y', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
      ['0/2', 'Completed', '0'],
    ],
    ['image pull backoff', { phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ImagePullBackOff' } } }] }, ['0/2', 'ImagePullBackOff', '0']],
    ['exit code without reason', { phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 3 } } }] }, ['0/2', 'ExitCode:3', '0']],
  ])('%s', (_name, status, [ready, st, restarts]) => {
    const cells = pods.table.cells(pod(spec, { status }), now);
    expect(cells.slice(0, 5)).toEqual(['web', ready, st, restarts, '5m']);
  });

  it('prints Terminating for a pod being deleted and <none> for wide blanks', () => {
    const p = pod({ containers: [{ name: 'a', image: 'x' }] }, { status: { phase: 'Running' } });
    p.metadata.deletionTimestamp = '2026-01-01T00:04:00Z';
    expect(pods.table.cells(p, now)).toEqual(['web', '0/1', 'Terminating', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
  });

  it('shows init container progress', () => {
    const p = pod(
      { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }], containers: [{ name: 'a', image: 'x' }] },
      {
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'i1', ready: true, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'i2', ready: false, restartCount: 0, image: 'x', imageID: '', state: { running: {} } },
          ],
        },
      },
    );
    expect(pods.table.cells(p, now)[2]).toBe('Init:1/2');
  });

  it('has one column definition per cell', () => {
    expect(pods.table.columns.map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(pods.table.cells(pod(spec), now)).toHaveLength(pods.table.columns.length);
  });
});

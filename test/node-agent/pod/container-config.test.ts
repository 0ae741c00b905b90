import { describe, expect, it } from 'vitest';
import { containerCommand, containerEnv, containerLimits, expandVars } from '../../../node-agent/pod/container-config.ts';
import type { ConfigMap } from '../../../shared/api/kinds/configmap.ts';
import type { Container } from '../../../shared/api/kinds/pod-spec.ts';
import type { Secret } from '../../../shared/api/kinds/secret.ts';
import { pod } from '../support/objects.ts';

const facts = { podIP: '10.244.1.5', hostIP: '192.0.2.10', nodeName: 'node-1' };
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '1', B: '2', 'bad key': 'x' } } as ConfigMap;
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { PW: Buffer.from('pw').toString('base64') } } as Secret;
const objects = { configMaps: new Map([['cfg', cm]]), secrets: new Map([['sec', secret]]) };

function env(container: Partial<Container>) {
  const p = pod({ containers: [{ name: 'app', image: 'zp/busybox:1', ...container }] });
  return containerEnv(p, p.spec.containers[0]!, objects, facts);
}

describe('container environment', () => {
  it.each([
    ['envFrom a ConfigMap, skipping invalid names', { envFrom: [{ configMapRef: { name: 'cfg' } }] }, { A: '1', B: '2' }],
    ['envFrom with a prefix', { envFrom: [{ prefix: 'X_', secretRef: { name: 'sec' } }] }, { X_PW: 'pw' }],
    ['env overriding envFrom', { envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'A', value: 'override' }] }, { A: 'override', B: '2' }],
    ['a Secret key', { env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'sec', key: 'PW' } } }] }, { P: 'pw' }],
    ['fieldRefs', { env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }, { N: 'web-1', IP: '10.244.1.5', NODE: 'node-1' }],
    ['$(VAR) expansion of earlier variables', { env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-$(MISSING)-$$(A)' }] }, { A: 'x', B: 'x-$(MISSING)-$(A)' }],
    ['an optional missing ConfigMap', { env: [{ name: 'Z', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] }, {}],
    ['a memory limit in bytes', { resources: { limits: { memory: '64Mi' } }, env: [{ name: 'M', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }] }, { M: String(64 * 1024 * 1024) }],
  ])('resolves %s', (_name, container, expected) => {
    const result = env(container as Partial<Container>);
    expect(result.ok && Object.fromEntries(result.env.map((e) => [e.name, e.value]))).toEqual(expected);
  });

  it.each([
    [{ envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
    [{ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, 'secret "nope" not found'],
    [{ env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, "couldn't find key k in ConfigMap default/cfg"],
    [{ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'sec', key: 'k' } } }] }, "couldn't find key k in Secret default/sec"],
  ])('fails with CreateContainerConfigError for %j', (container, message) => {
    expect(env(container as Partial<Container>)).toEqual({ ok: false, reason: 'CreateContainerConfigError', message });
  });

  it('expands command and args from the environment', () => {
    const c = { name: 'app', command: ['sh', '-c'], args: ['echo $(A) $(B)'] } as Container;
    expect(containerCommand(c, [{ name: 'A', value: '1' }])).toEqual({ entrypoint: ['sh', '-c'], args: ['echo 1 $(B)'] });
    expect(expandVars('$$', new Map())).toBe('$');
  });

  it.each([
    [undefined, { cpuShares: 2 }],
    [{ limits: { cpu: '500m', memory: '128Mi' } }, { nanoCpus: 500_000_000, cpuShares: 512, memoryBytes: 128 * 1024 * 1024 }],
    [{ requests: { cpu: '250m' } }, { cpuShares: 256 }],
    [{ requests: { cpu: '1' }, limits: { cpu: '2' } }, { nanoCpus: 2_000_000_000, cpuShares: 1024 }],
  ])('maps resources %j to Docker limits', (resources, expected) => {
    expect(containerLimits({ name: 'app', ...(resources ? { resources } : {}) } as Container)).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { checkContainerHasLogs, chooseContainer, nodeLogQuery, parsePodLogOptions, type PodLike } from '../../../functions/apiserver/pod-log-request.ts';
import { isStatusError } from '../../../shared/api/status.ts';

function failure(fn: () => unknown): { code: number; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!isStatusError(err)) throw err;
    return { code: err.code, message: err.message };
  }
}

const pod = (containers: string[], extra: Partial<PodLike> = {}): PodLike => ({
  metadata: { name: 'x' },
  spec: { nodeName: 'n1', containers: containers.map((name) => ({ name })), ...extra.spec },
  status: extra.status,
});

describe('parsePodLogOptions', () => {
  it.each([
    [{}, { follow: false, previous: false, timestamps: false }],
    [{ container: 'c', follow: 'true', tailLines: '2', timestamps: 'true' }, { container: 'c', follow: true, previous: false, timestamps: true, tailLines: 2 }],
    [{ sinceSeconds: '60', limitBytes: '10', previous: 'true' }, { follow: false, previous: true, timestamps: false, sinceSeconds: 60, limitBytes: 10 }],
    [{ sinceTime: '2024-01-01T00:00:00Z' }, { follow: false, previous: false, timestamps: false, sinceTime: '2024-01-01T00:00:00Z' }],
  ])('reads %o', (query, expected) => {
    expect(parsePodLogOptions('x', query)).toEqual(expected);
  });

  it.each([
    [{ tailLines: '-1' }, 422, 'tailLines: Invalid value: -1: must be greater than or equal to 0'],
    [{ sinceSeconds: '0' }, 422, 'sinceSeconds: Invalid value: 0: must be greater than 0'],
    [{ sinceSeconds: '5', sinceTime: '2024-01-01T00:00:00Z' }, 422, 'at most one of `sinceTime` or `sinceSeconds` may be specified'],
    [{ tailLines: 'ten' }, 400, 'invalid value for tailLines: ten'],
    [{ follow: 'maybe' }, 400, 'invalid value for follow: maybe'],
  ])('refuses %o', (query, code, message) => {
    const err = failure(() => parsePodLogOptions('x', query));
    expect(err?.code).toBe(code);
    expect(err?.message).toContain(message);
  });
});

describe('chooseContainer', () => {
  it.each([
    [pod(['only']), undefined, 'only'],
    [pod(['a', 'b']), 'b', 'b'],
    [pod(['a'], { spec: { initContainers: [{ name: 'init' }] } }), 'init', 'init'],
  ])('picks the container (%#)', (p, requested, expected) => {
    expect(chooseContainer(p, requested)).toBe(expected);
  });

  it.each([
    [pod(['a', 'b']), undefined, 'a container name must be specified for pod x, choose one of: [a b]'],
    [pod(['a', 'b'], { spec: { initContainers: [{ name: 'i' }] } }), undefined, 'a container name must be specified for pod x, choose one of: [a b] or one of the init containers: [i]'],
    [pod(['a']), 'c', 'container c is not valid for pod x'],
  ])('answers 400 (%#)', (p, requested, message) => {
    expect(failure(() => chooseContainer(p, requested))).toEqual({ code: 400, message });
  });
});

describe('checkContainerHasLogs', () => {
  const running = { name: 'c', state: { running: {} } };
  const crashed = { name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { containerID: 'docker://1' } } };
  it.each([
    ['a running container', pod(['c'], { status: { containerStatuses: [running] } }), false],
    ['a crash-looping container (its last run)', pod(['c'], { status: { containerStatuses: [crashed] } }), false],
    ['the previous run of a crash-looping container', pod(['c'], { status: { containerStatuses: [crashed] } }), true],
    ['a terminated container', pod(['c'], { status: { containerStatuses: [{ name: 'c', state: { terminated: { containerID: 'docker://2' } } }] } }), false],
  ])('lets through %s', (_what, p, previous) => {
    expect(() => checkContainerHasLogs(p, 'c', previous)).not.toThrow();
  });

  it.each([
    ['an unbound pod', { metadata: { name: 'x' }, spec: { containers: [{ name: 'c' }] } }, false, 'container "c" in pod "x" is waiting to start: ContainerCreating'],
    ['a pod not reported on yet', pod(['c']), false, 'container "c" in pod "x" is waiting to start: ContainerCreating'],
    ['an image pull failure', pod(['c'], { status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ErrImagePull' } } }] } }), false, `container "c" in pod "x" is waiting to start: image can't be pulled`],
    ['an image pull back-off', pod(['c'], { status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } } }] } }), false, 'container "c" in pod "x" is waiting to start: trying and failing to pull image'],
    ['no previous run', pod(['c'], { status: { containerStatuses: [running] } }), true, 'previous terminated container "c" in pod "x" not found'],
  ])('answers 400 for %s', (_what, p, previous, message) => {
    expect(failure(() => checkContainerHasLogs(p as PodLike, 'c', previous))).toEqual({ code: 400, message });
  });
});

describe('nodeLogQuery', () => {
  it('passes only the options that are set', () => {
    expect(nodeLogQuery({ follow: true, previous: false, timestamps: true, tailLines: 0, sinceTime: '2024-01-01T00:00:00Z' })).toBe(
      'follow=true&timestamps=true&tailLines=0&sinceTime=2024-01-01T00%3A00%3A00Z',
    );
  });
});

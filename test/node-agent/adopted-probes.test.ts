import { describe, expect, it } from 'vitest';
import { seedProbesFromStatus } from '../../node-agent/adopted-probes.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { instance, known } from './support/known.ts';

function pod(statuses: Array<{ id: string; ready: boolean; started?: boolean }>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { containers: [{ name: 'app', image: 'zp/busybox:1' }] },
    status: { containerStatuses: statuses.map((s) => ({ name: 'app', image: 'zp/busybox:1', imageID: '', restartCount: 0, containerID: `docker://${s.id}`, ready: s.ready, started: s.started ?? s.ready })) },
  } as Pod;
}

describe('seedProbesFromStatus', () => {
  it.each<[string, 'running' | 'exited', { id: string; ready: boolean; started?: boolean }, Record<string, unknown>]>([
    ['a running container the API shows ready keeps readiness and startup', 'running', { id: 'app-0', ready: true }, { 'app-0': { readiness: { result: 'success' }, startup: { result: 'success' } } }],
    ['a running container shown started but not ready keeps only startup', 'running', { id: 'app-0', ready: false, started: true }, { 'app-0': { startup: { result: 'success' } } }],
    ['a status about another container id carries nothing', 'running', { id: 'older', ready: true }, {}],
    ['an exited container carries nothing', 'exited', { id: 'app-0', ready: true }, {}],
  ])('%s', (_name, state, status, expected) => {
    const seeded = seedProbesFromStatus(known({ containers: [instance({ state })] }), pod([status]));
    expect(seeded.probes).toMatchObject(expected);
    expect(Object.keys(seeded.probes)).toEqual(Object.keys(expected));
  });

  it('never overrides a result the agent already has', () => {
    const k = known({ containers: [instance()], probes: { 'app-0': { readiness: { lastRunAt: 5, successes: 0, failures: 3, result: 'failure' } } } });
    expect(seedProbesFromStatus(k, pod([{ id: 'app-0', ready: true }])).probes['app-0']!.readiness!.result).toBe('failure');
  });

  it('lets the probes run at once (lastRunAt 0) and flip the result only after failureThreshold failures', () => {
    const seeded = seedProbesFromStatus(known({ containers: [instance()] }), pod([{ id: 'app-0', ready: true }]));
    expect(seeded.probes['app-0']!.readiness).toEqual({ lastRunAt: 0, successes: 0, failures: 0, result: 'success' });
  });
});

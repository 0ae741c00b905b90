import { describe, expect, it } from 'vitest';
import { reconcileJob } from '../../../functions/controllers/job.ts';
import type { Job } from '../../../shared/api/kinds/job.ts';
import { iso, ownerRef, pod, T0 } from './builders.ts';

function job(spec: Partial<Job['spec']> = {}, status?: Job['status']): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'uid-pi' },
    spec: { selector: { matchLabels: { 'job-name': 'pi' } }, template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { containers: [{ name: 'c', image: 'perl' }], restartPolicy: 'Never' } }, ...spec },
    ...(status ? { status } : {}),
  };
}
const owner = ownerRef('Job', 'pi', 'batch/v1');
const jp = (name: string, phase: string) => pod({ name, owner, labels: { 'job-name': 'pi' }, nodeName: 'n', phase });

describe('reconcileJob', () => {
  it.each([
    ['starts parallelism pods', { completions: 3, parallelism: 2 }, [], 2],
    ['starts only what is left to complete', { completions: 3, parallelism: 2 }, [jp('a', 'Succeeded'), jp('b', 'Succeeded')], 1],
    ['replaces a failed pod', { completions: 1, parallelism: 1, backoffLimit: 3 }, [jp('a', 'Failed')], 1],
    ['starts one pod by default', {}, [], 1],
  ])('%s', (_name, spec, pods, creates) => {
    const r = reconcileJob({ job: job(spec), pods, now: T0 });
    expect(r.actions.filter((a) => a.type === 'create')).toHaveLength(creates);
  });

  it('completes after `completions` successes', () => {
    const r = reconcileJob({ job: job({ completions: 2, parallelism: 2 }), pods: [jp('a', 'Succeeded'), jp('b', 'Succeeded')], now: T0 });
    expect(r.status).toMatchObject({ succeeded: 2, active: 0, completionTime: iso(T0) });
    expect(r.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });

  it('fails with BackoffLimitExceeded after more than backoffLimit failures', () => {
    const r = reconcileJob({ job: job({ backoffLimit: 1 }), pods: [jp('a', 'Failed'), jp('b', 'Failed'), jp('c', 'Running')], now: T0 });
    expect(r.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(r.actions).toEqual([expect.objectContaining({ type: 'delete', preconditionUid: 'uid-c' })]);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds', () => {
    const r = reconcileJob({ job: job({ activeDeadlineSeconds: 10 }, { startTime: iso(T0, -11) }), pods: [jp('a', 'Running')], now: T0 });
    expect(r.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
  });

  it.each([
    ['before the TTL', 5, 100, false],
    ['after the TTL', 100, 5, true],
  ])('deletes a finished job only %s', (_name, secondsAgo, ttl, deletes) => {
    const done = job({ ttlSecondsAfterFinished: ttl }, { completionTime: iso(T0, -secondsAgo), conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: iso(T0, -secondsAgo) }] });
    const r = reconcileJob({ job: done, pods: [], now: T0 });
    expect(r.actions.some((a) => a.type === 'delete' && a.ref.kind === 'Job')).toBe(deletes);
  });

  it('removes active pods while suspended', () => {
    const r = reconcileJob({ job: job({ suspend: true }), pods: [jp('a', 'Running')], now: T0 });
    expect(r.actions).toEqual([expect.objectContaining({ type: 'delete' })]);
    expect(r.status?.conditions?.[0]).toMatchObject({ type: 'Suspended', reason: 'JobSuspended' });
  });
});

import { describe, expect, it } from 'vitest';
import { jobNameFor, mostRecentScheduleTime, parseSchedule, reconcileCronJob, rfc3339InZone, SCHEDULED_TIMESTAMP_ANNOTATION } from '../../../functions/controllers/cronjob.ts';
import type { Action } from '../../../functions/controllers/types.ts';
import type { CronJob } from '../../../shared/api/kinds/cronjob.ts';
import type { Job } from '../../../shared/api/kinds/job.ts';
import { ownerRef } from './builders.ts';

const CREATED = '2025-01-01T00:00:00Z';
const at = (s: string) => new Date(s);

function cronJob(spec: Partial<CronJob['spec']> = {}, status?: CronJob['status']): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'default', uid: 'uid-report', creationTimestamp: CREATED, generation: 1 },
    spec: {
      schedule: '*/5 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

const owner = ownerRef('CronJob', 'report', 'batch/v1');

function job(name: string, o: { state?: 'Complete' | 'Failed'; started?: string; completed?: string } = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [owner] },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    status: {
      ...(o.started ? { startTime: o.started } : {}),
      ...(o.completed ? { completionTime: o.completed } : {}),
      ...(o.state ? { conditions: [{ type: o.state, status: 'True' }] } : {}),
    },
  };
}

const createdJobs = (actions: Action[]) => actions.flatMap((a) => (a.type === 'create' && a.object.kind === 'Job' ? [a.object as Job] : []));
const deletedJobs = (actions: Action[]) => actions.flatMap((a) => (a.type === 'delete' && a.ref.kind === 'Job' ? [a.ref.name] : []));
const minutes = (iso: string) => Date.parse(iso) / 60000;
const ref = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name, uid: `uid-${name}` });

describe('parseSchedule', () => {
  it.each([
    ['*/5 * * * *', undefined, '2025-01-01T00:02:00Z', '2025-01-01T00:05:00.000Z'],
    ['*/5 * * * *', undefined, '2025-01-01T00:05:00Z', '2025-01-01T00:10:00.000Z'],
    ['@hourly', undefined, '2025-01-01T00:30:00Z', '2025-01-01T01:00:00.000Z'],
    ['@midnight', undefined, '2025-01-01T00:30:00Z', '2025-01-02T00:00:00.000Z'],
    ['@weekly', undefined, '2025-01-01T00:00:00Z', '2025-01-05T00:00:00.000Z'],
    ['0 9 * * *', 'America/New_York', '2025-01-01T00:00:00Z', '2025-01-01T14:00:00.000Z'],
    ['0 9 1 * mon', undefined, '2025-01-01T10:00:00Z', '2025-01-06T09:00:00.000Z'],
  ])('%s in %s after %s is %s', (schedule, tz, after, next) => {
    expect(parseSchedule(schedule, tz).next(at(after)).toISOString()).toBe(next);
  });

  it.each(['61 * * * *', '* * * *', 'TZ=UTC * * * * *', '0 0 30 2 *', '@every 5m'])('rejects %s', (schedule) => {
    expect(() => parseSchedule(schedule)).toThrow();
  });
});

describe('mostRecentScheduleTime', () => {
  const sched = parseSchedule('* * * * *');
  it.each<[string, string, string | undefined, number | undefined, string | undefined, string]>([
    ['none before the first time', '2025-01-01T00:00:30Z', undefined, undefined, undefined, 'none'],
    ['the one time since the last schedule', '2025-01-01T00:02:30Z', '2025-01-01T00:01:00Z', undefined, '2025-01-01T00:02:00.000Z', 'none'],
    ['the latest of several missed times', '2025-01-01T00:10:30Z', '2025-01-01T00:01:00Z', undefined, '2025-01-01T00:10:00.000Z', 'few'],
    ['many missed after a long outage', '2025-01-01T00:10:30Z', '2024-12-31T00:00:00Z', undefined, '2025-01-01T00:10:00.000Z', 'many'],
    ['few missed when the starting deadline bounds the search', '2025-01-01T00:10:30Z', '2024-12-31T00:00:00Z', 300, '2025-01-01T00:10:00.000Z', 'few'],
  ])('%s', (_name, now, last, deadline, expected, missed) => {
    const cj = cronJob({ schedule: '* * * * *', ...(deadline ? { startingDeadlineSeconds: deadline } : {}) }, last ? { lastScheduleTime: last } : undefined);
    const r = mostRecentScheduleTime(cj, at(now), sched, true);
    expect(r.mostRecent?.toISOString()).toBe(expected);
    expect(r.missed).toBe(missed);
  });
});

describe('reconcileCronJob', () => {
  it('waits for the first schedule time and asks to be called just after it', () => {
    const r = reconcileCronJob({ cronJob: cronJob(), jobs: [], now: at('2025-01-01T00:03:00Z') });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBe(2 * 60_000 + 100);
  });

  it('starts a job named after the scheduled minute and records it as active', () => {
    const r = reconcileCronJob({ cronJob: cronJob({ timeZone: 'Europe/Paris' }), jobs: [], now: at('2025-01-01T00:05:07Z') });
    const [j] = createdJobs(r.actions);
    expect(j.metadata.name).toBe(`report-${minutes('2025-01-01T00:05:00Z')}`);
    expect(j.metadata.name).toBe(jobNameFor(cronJob(), at('2025-01-01T00:05:00Z')));
    expect(j.metadata.labels).toEqual({ team: 'a' });
    expect(j.metadata.annotations).toEqual({ [SCHEDULED_TIMESTAMP_ANNOTATION]: '2025-01-01T01:05:00+01:00' });
    expect(j.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', uid: 'uid-report', controller: true })]);
    expect(j.spec.template.spec.restartPolicy).toBe('OnFailure');
    expect(r.status).toEqual({ active: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name: j.metadata.name }], lastScheduleTime: '2025-01-01T00:05:00Z' });
    expect(r.events).toContainEqual(expect.objectContaining({ reason: 'SuccessfulCreate', message: `Created job ${j.metadata.name}` }));
    expect(r.requeueAfterMs).toBe(5 * 60_000 - 7_000 + 100);
  });

  it('does not start the same scheduled time twice after its status was written', () => {
    const name = `report-${minutes('2025-01-01T00:05:00Z')}`;
    const r = reconcileCronJob({ cronJob: cronJob({}, { active: [ref(name)], lastScheduleTime: '2025-01-01T00:05:00Z' }), jobs: [job(name)], now: at('2025-01-01T00:06:00Z') });
    expect(createdJobs(r.actions)).toEqual([]);
    expect(r.status).toBeUndefined();
  });

  it('records a job an earlier attempt created when its status write was lost', () => {
    const name = `report-${minutes('2025-01-01T00:05:00Z')}`;
    const r = reconcileCronJob({ cronJob: cronJob(), jobs: [job(name)], now: at('2025-01-01T00:06:00Z') });
    expect(createdJobs(r.actions)).toEqual([]);
    expect(r.status).toEqual({ active: [ref(name)], lastScheduleTime: '2025-01-01T00:05:00Z' });
  });

  it.each<[string, string, string[], string[]]>([
    ['Allow starts another job next to a running one', 'Allow', ['report-1'], []],
    ['Forbid skips while a job is running', 'Forbid', [], []],
    ['Replace deletes the running job and starts a new one', 'Replace', ['report-1'], ['running']],
  ])('%s', (_name, concurrencyPolicy, creates, deletes) => {
    const cj = cronJob({ concurrencyPolicy }, { active: [ref('running')], lastScheduleTime: '2025-01-01T00:00:00Z' });
    const r = reconcileCronJob({ cronJob: cj, jobs: [job('running')], now: at('2025-01-01T00:05:01Z') });
    expect(createdJobs(r.actions).map(() => 'report-1')).toEqual(creates);
    expect(deletedJobs(r.actions)).toEqual(deletes);
    if (concurrencyPolicy === 'Forbid') expect(r.events).toContainEqual(expect.objectContaining({ reason: 'JobAlreadyActive' }));
  });

  it('starts nothing while suspended', () => {
    const r = reconcileCronJob({ cronJob: cronJob({ suspend: true }), jobs: [], now: at('2025-01-01T00:05:01Z') });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it.each<[string, number | undefined, string, boolean]>([
    ['starts a late job within startingDeadlineSeconds', 120, '2025-01-01T00:06:30Z', true],
    ['skips a job missed by more than startingDeadlineSeconds', 60, '2025-01-01T00:06:30Z', false],
    ['starts a late job when no deadline is set', undefined, '2025-01-01T00:09:59Z', true],
  ])('%s', (_name, startingDeadlineSeconds, now, starts) => {
    const r = reconcileCronJob({ cronJob: cronJob(startingDeadlineSeconds ? { startingDeadlineSeconds } : {}), jobs: [], now: at(now) });
    expect(createdJobs(r.actions).length > 0).toBe(starts);
    if (!starts) expect(r.requeueAfterMs).toBe(Date.parse('2025-01-01T00:10:00Z') + 100 - Date.parse(now));
  });

  it('starts only the most recent of many missed times and warns about them', () => {
    const cj = cronJob({ schedule: '* * * * *' }, { lastScheduleTime: '2024-12-31T00:00:00Z' });
    const r = reconcileCronJob({ cronJob: cj, jobs: [], now: at('2025-01-01T00:10:30Z') });
    expect(createdJobs(r.actions).map((j) => j.metadata.name)).toEqual([`report-${minutes('2025-01-01T00:10:00Z')}`]);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'TooManyMissedTimes' }));
  });

  it('removes finished and missing jobs from active and records the last success', () => {
    const cj = cronJob({}, { active: [ref('done'), ref('failed'), ref('gone'), ref('running')], lastScheduleTime: '2025-01-01T00:05:00Z' });
    const jobs = [job('done', { state: 'Complete', started: '2025-01-01T00:05:00Z', completed: '2025-01-01T00:05:30Z' }), job('failed', { state: 'Failed', started: '2025-01-01T00:05:00Z' }), job('running')];
    const r = reconcileCronJob({ cronJob: cj, jobs, now: at('2025-01-01T00:06:00Z') });
    expect(r.status).toEqual({ active: [ref('running')], lastScheduleTime: '2025-01-01T00:05:00Z', lastSuccessfulTime: '2025-01-01T00:05:30Z' });
    expect(r.events?.map((e) => e.reason).sort()).toEqual(['MissingJob', 'SawCompletedJob', 'SawCompletedJob']);
  });

  it('keeps a freshly created job (no uid recorded yet) active and fills in its uid', () => {
    const name = `report-${minutes('2025-01-01T00:05:00Z')}`;
    const cj = cronJob({}, { active: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name }], lastScheduleTime: '2025-01-01T00:05:00Z' });
    const r = reconcileCronJob({ cronJob: cj, jobs: [job(name)], now: at('2025-01-01T00:06:00Z') });
    expect(r.status?.active).toEqual([ref(name)]);
  });

  it.each<[string, number, number, string[]]>([
    ['deletes the oldest successful jobs beyond the limit', 2, 2, ['s1', 's2']],
    ['deletes the oldest failed jobs beyond the limit', 4, 0, ['f1', 'f2']],
  ])('%s', (_name, successfulJobsHistoryLimit, failedJobsHistoryLimit, deletes) => {
    const jobs = [
      job('s3', { state: 'Complete', started: '2025-01-01T00:03:00Z' }),
      job('s1', { state: 'Complete', started: '2025-01-01T00:01:00Z' }),
      job('s4', { state: 'Complete', started: '2025-01-01T00:04:00Z' }),
      job('s2', { state: 'Complete', started: '2025-01-01T00:02:00Z' }),
      job('f1', { state: 'Failed', started: '2025-01-01T00:01:00Z' }),
      job('f2', { state: 'Failed', started: '2025-01-01T00:02:00Z' }),
      job('running', { started: '2025-01-01T00:00:00Z' }),
    ];
    const r = reconcileCronJob({ cronJob: cronJob({ successfulJobsHistoryLimit, failedJobsHistoryLimit, suspend: true }), jobs, now: at('2025-01-01T00:05:30Z') });
    expect(deletedJobs(r.actions)).toEqual(deletes);
  });

  it.each([
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 'UnknownTimeZone'],
    ['an unparseable schedule', { schedule: '0 0 30 2 *' }, 'UnparseableSchedule'],
  ])('reports %s and waits for a spec change', (_name, spec, reason) => {
    const r = reconcileCronJob({ cronJob: cronJob(spec), jobs: [], now: at('2025-01-01T00:05:01Z') });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBeUndefined();
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason }));
  });

  it('ignores jobs it does not control', () => {
    const other = { ...job('other'), metadata: { name: 'other', namespace: 'default', uid: 'uid-other' } };
    const r = reconcileCronJob({ cronJob: cronJob({ concurrencyPolicy: 'Forbid' }), jobs: [other], now: at('2025-01-01T00:05:01Z') });
    expect(createdJobs(r.actions)).toHaveLength(1);
  });
});

describe('rfc3339InZone', () => {
  it.each([
    ['UTC', '2025-07-01T12:00:00Z'],
    ['Europe/Paris', '2025-07-01T14:00:00+02:00'],
    ['America/New_York', '2025-07-01T08:00:00-04:00'],
  ])('formats in %s', (tz, expected) => {
    expect(rfc3339InZone(at('2025-07-01T12:00:00Z'), tz)).toBe(expected);
  });
});

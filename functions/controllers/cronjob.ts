/**
 * CronJob controller (pkg/controller/cronjob, the v2 controller): on each reconcile, find the most recent
 * unmet schedule time since the last one (or creation, or `now - startingDeadlineSeconds`), start a Job for
 * it unless it is too late, already started, forbidden by the concurrency policy or the CronJob is suspended,
 * keep `status.active` in step with the Jobs, prune finished Jobs beyond the history limits and ask to be
 * called again at the next schedule time. Schedules are computed with the `cron-parser` library, in
 * `spec.timeZone` or UTC.
 *
 * A Job is named `<cronjob>-<scheduled time in minutes since the epoch>`: a retry after a crash between creating
 * the Job and writing the status finds that Job instead of starting a second one.
 */
import { CronExpressionParser } from 'cron-parser';
import { cronScheduleError, type CronJob } from '../../shared/api/kinds/cronjob.ts';
import type { Job } from '../../shared/api/kinds/job.ts';
import { jobFinished } from './job.ts';
import { isControlledBy, ownerReferenceTo } from './ownership.ts';
import { statusChanged } from './replicaset.ts';
import { refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type CronJobStatus = NonNullable<CronJob['status']>;

export interface CronJobInput {
  /** The CronJob, or undefined when it is gone (its Jobs are the garbage collector's). */
  cronJob: CronJob | undefined;
  /** Jobs in the CronJob's namespace (at least those it controls). */
  jobs: Job[];
  now: Date;
}

/** What status.active holds (an ObjectReference); the uid is filled in once the created Job has been seen. */
export interface JobReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed start times than this are reported (TooManyMissedTimes) rather than all counted. */
export const MANY_MISSED = 100;
/** nextScheduleDelta: wake a little after the schedule time so that it is no longer in the future. */
const NEXT_SCHEDULE_DELTA_MS = 100;

/** A parsed schedule: the first activation strictly after a time. */
export interface Schedule {
  next(after: Date): Date;
}

/** robfig/cron has `@midnight`; cron-parser does not, and it means `@daily`. */
function normalize(schedule: string): string {
  const s = schedule.trim();
  return s === '@midnight' ? '@daily' : s;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses the 5-field (or macro) schedule in the time zone; throws with the parser's message when it is invalid. */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  const complaint = cronScheduleError(schedule);
  if (complaint) throw new Error(complaint);
  const expression = normalize(schedule);
  const tz = timeZone || 'UTC';
  // Parse once up front so that an impossible schedule (e.g. "0 0 30 2 *") fails here, not on first use.
  CronExpressionParser.parse(expression, { currentDate: new Date(0), tz });
  return {
    next(after: Date): Date {
      return CronExpressionParser.parse(expression, { currentDate: after, tz }).next().toDate();
    },
  };
}

export type Missed = 'none' | 'few' | 'many';

/**
 * mostRecentScheduleTime: the latest schedule time in (earliest, now], where earliest is the last schedule
 * time or the creation time, raised to `now - startingDeadlineSeconds` when asked. The number missed is an
 * estimate from the interval between two consecutive times, as in Kubernetes, so that a clock decades off does
 * not make us enumerate every minute.
 */
export function mostRecentScheduleTime(cj: CronJob, now: Date, schedule: Schedule, includeStartingDeadline: boolean): { earliest: Date; mostRecent?: Date; missed: Missed } {
  let earliest = new Date(Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now.getTime());
  const deadline = cj.spec.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    const schedulingDeadline = new Date(now.getTime() - deadline * 1000);
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  if (now < t1) return { earliest, missed: 'none' };
  const t2 = schedule.next(t1);
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2.getTime() - t1.getTime()) / 1000);
  if (between < 1) return { earliest, missed: 'none' };
  const elapsed = Math.trunc((now.getTime() - t1.getTime()) / 1000);
  const count = Math.trunc(elapsed / between) + 1;
  // Start two intervals before the estimate and let the schedule find the exact times (irregular schedules).
  let t = schedule.next(new Date(t1.getTime() + (count - 2) * between * 1000));
  let mostRecent: Date | undefined;
  for (; t <= now; t = schedule.next(t)) mostRecent = t;
  return { earliest, ...(mostRecent ? { mostRecent } : {}), missed: count > MANY_MISSED ? 'many' : 'few' };
}

/** nextScheduleTimeDuration: how long until the next schedule time after the last one (plus a small delta). */
export function msUntilNextSchedule(cj: CronJob, now: Date, schedule: Schedule): number {
  const { earliest, mostRecent, missed } = mostRecentScheduleTime(cj, now, schedule, false);
  const from = mostRecent ?? (missed === 'none' ? earliest : now);
  return schedule.next(from).getTime() + NEXT_SCHEDULE_DELTA_MS - now.getTime();
}

/** getJobName: deterministic per scheduled time. */
export function jobNameFor(cj: CronJob, scheduledTime: Date): string {
  return `${cj.metadata.name}-${Math.floor(scheduledTime.getTime() / 60000)}`;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 in a time zone (`2025-01-01T09:00:00-05:00`), as Go's time.In(loc).Format(time.RFC3339). */
export function rfc3339InZone(d: Date, timeZone: string): string {
  if (timeZone === 'UTC') return stamp(d);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || 'Z';
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** getJobFromTemplate2: the Job for one scheduled time. */
export function jobFromTemplate(cj: CronJob, scheduledTime: Date): Job {
  const meta = cj.spec.jobTemplate.metadata ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduledTime),
      namespace: cj.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      annotations: { ...(meta.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduledTime, cj.spec.timeZone || 'UTC') },
      ownerReferences: [ownerReferenceTo(cj)],
    },
    spec: structuredClone(cj.spec.jobTemplate.spec),
  };
}

function jobRef(job: Job): JobReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    ...(job.metadata.namespace !== undefined ? { namespace: job.metadata.namespace } : {}),
    name: job.metadata.name ?? '',
    ...(job.metadata.uid !== undefined ? { uid: job.metadata.uid } : {}),
  };
}

function refersTo(ref: JobReference, job: Job): boolean {
  return ref.uid ? ref.uid === job.metadata.uid : ref.name === job.metadata.name;
}

/** byJobStartTime: started first (oldest first), never-started last, then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime ? Date.parse(a.status.startTime) : undefined;
  const sb = b.status?.startTime ? Date.parse(b.status.startTime) : undefined;
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa !== sb) return (sa ?? 0) - (sb ?? 0);
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

export function reconcileCronJob(input: CronJobInput): ReconcileResult<CronJobStatus> {
  const cj = input.cronJob;
  if (!cj) return { actions: [] };
  const now = input.now;
  const actions: Action[] = [];
  const events: EventSpec[] = [];
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => events.push({ regarding: refOf(cj), type, reason, message });
  const deleteJob = (job: Job) => {
    actions.push({ type: 'delete', ref: refOf(job), preconditionUid: job.metadata.uid, propagationPolicy: 'Background' });
    event('Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  };

  const owned = input.jobs.filter((j) => isControlledBy(j, cj));
  const status: CronJobStatus = structuredClone(cj.status ?? {});
  let active = (status.active ?? []) as unknown as JobReference[];

  // Bring status.active and lastSuccessfulTime in line with the Jobs.
  for (const job of owned) {
    const i = active.findIndex((r) => refersTo(r, job));
    const finished = jobFinished(job);
    if (i >= 0 && finished) {
      active = active.filter((_, k) => k !== i);
      event('Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished.type}`);
    } else if (i >= 0 && !active[i].uid && job.metadata.uid) {
      active = active.map((r, k) => (k === i ? jobRef(job) : r));
    }
    const completed = finished?.type === 'Complete' ? job.status?.completionTime : undefined;
    if (completed && (!status.lastSuccessfulTime || Date.parse(completed) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = completed;
  }
  for (const ref of active) {
    if (!owned.some((j) => refersTo(ref, j))) event('Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
  }
  active = active.filter((ref) => owned.some((j) => refersTo(ref, j)));

  const result = (requeueAfterMs?: number): ReconcileResult<CronJobStatus> => {
    if (active.length) status.active = active as unknown as CronJobStatus['active'];
    else delete status.active;
    return {
      actions,
      ...(statusChanged(cj.status, status) ? { status } : {}),
      ...(requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, requeueAfterMs) } : {}),
      ...(events.length ? { events } : {}),
    };
  };
  if (cj.metadata.deletionTimestamp) return result();

  // History limits: the oldest finished Jobs beyond them go (whatever else happens this time).
  const deleting = (j: Job) => Boolean(j.metadata.deletionTimestamp);
  const prune = (kind: 'Complete' | 'Failed', limit: number | undefined) => {
    if (limit === undefined || limit === null) return;
    const finished = owned.filter((j) => !deleting(j) && jobFinished(j)?.type === kind).sort(byStartTime);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) deleteJob(j);
  };
  prune('Complete', cj.spec.successfulJobsHistoryLimit);
  prune('Failed', cj.spec.failedJobsHistoryLimit);

  if (cj.spec.timeZone && !isValidTimeZone(cj.spec.timeZone)) {
    event('Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.spec.timeZone}": unknown time zone ${cj.spec.timeZone}`);
    return result();
  }
  if (cj.spec.suspend) return result();
  let schedule: Schedule;
  try {
    schedule = parseSchedule(cj.spec.schedule, cj.spec.timeZone ?? undefined);
  } catch (e) {
    event('Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec.schedule}" : ${(e as Error).message}`);
    return result();
  }
  const withStatus = (): CronJob => ({ ...cj, status });
  const requeue = () => result(msUntilNextSchedule(withStatus(), now, schedule));

  const { mostRecent: scheduled, missed } = mostRecentScheduleTime(cj, now, schedule, true);
  if (!scheduled) return requeue();
  if (missed === 'many') {
    event('Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && scheduled.getTime() + deadline * 1000 < now.getTime()) {
    event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${scheduled.toUTCString().replace('GMT', '+0000')}`);
    return requeue();
  }
  const name = jobNameFor(cj, scheduled);
  if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled.getTime())) return requeue();
  const existing = owned.find((j) => j.metadata.name === name);
  if (existing) {
    // Created by an earlier attempt whose status write was lost: record it rather than start it again.
    if (!jobFinished(existing)) active.push(jobRef(existing));
    status.lastScheduleTime = stamp(scheduled);
    return requeue();
  }
  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    event('Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return requeue();
  }
  if (policy === 'Replace') {
    for (const ref of active) {
      const job = owned.find((j) => refersTo(ref, j));
      if (job && !deleting(job)) deleteJob(job);
    }
    active = [];
  }
  const job = jobFromTemplate(cj, scheduled);
  actions.push({ type: 'create', object: job });
  event('Normal', 'SuccessfulCreate', `Created job ${name}`);
  active.push(jobRef(job));
  status.lastScheduleTime = stamp(scheduled);
  return requeue();
}

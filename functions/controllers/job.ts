/**
 * Job controller (pkg/controller/job), NonIndexed completion mode: run up to `parallelism` pods until
 * `completions` succeed; fail after more than `backoffLimit` failed pods or after `activeDeadlineSeconds`;
 * `suspend` removes active pods; a finished Job is deleted `ttlSecondsAfterFinished` later (the TTL
 * controller's decision, kept here because it only needs the Job).
 */
import type { Condition } from '../../shared/api/kinds/meta.ts';
import type { Job } from '../../shared/api/kinds/job.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { claim } from './ownership.ts';
import { isPodActive, isPodReady, isPodTerminating } from './pods.ts';
import { podFromTemplate, podsToDelete, statusChanged } from './replicaset.ts';
import { earliest, refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type JobStatus = NonNullable<Job['status']>;

export interface JobInput {
  job: Job | undefined;
  pods: Pod[];
  now: Date;
}

const DEFAULT_BACKOFF_LIMIT = 6;

function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function jobFinished(job: Job): Condition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function cond(type: string, reason: string, message: string, now: Date): Condition {
  return { type, status: 'True', lastProbeTime: stamp(now), lastTransitionTime: stamp(now), reason, message };
}

export function reconcileJob(input: JobInput): ReconcileResult<JobStatus> {
  const job = input.job;
  if (!job) return { actions: [] };
  const now = input.now;
  const finished = jobFinished(job);
  if (finished) {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || job.metadata.deletionTimestamp) return { actions: [] };
    const at = Date.parse(job.status?.completionTime ?? finished.lastTransitionTime ?? '') + ttl * 1000;
    if (Number.isNaN(at) || at > now.getTime()) return { actions: [], ...(Number.isNaN(at) ? {} : { requeueAfterMs: at - now.getTime() }) };
    return { actions: [{ type: 'delete', ref: refOf(job), preconditionUid: job.metadata.uid, propagationPolicy: 'Background' }] };
  }

  const { owned, actions } = claim(job, job.spec.selector, input.pods);
  const events: EventSpec[] = [];
  const active = owned.filter(isPodActive);
  const succeeded = owned.filter((p) => p.status?.phase === 'Succeeded').length;
  const failed = owned.filter((p) => p.status?.phase === 'Failed').length;
  const status: JobStatus = structuredClone(job.status ?? {});
  if (!status.startTime && !job.spec.suspend) status.startTime = stamp(now);
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'Suspended' || job.spec.suspend);

  const completions = job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;
  const backoffLimit = job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  const deadline = job.spec.activeDeadlineSeconds;
  const started = status.startTime ? Date.parse(status.startTime) : now.getTime();
  let failure: Condition | undefined;
  if (failed > backoffLimit) failure = cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
  else if (deadline !== undefined && !job.spec.suspend && started + deadline * 1000 <= now.getTime()) {
    failure = cond('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
  }
  const complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
  let requeueAfterMs: number | undefined;

  let keep: number;
  if (failure) {
    conditions.push({ ...failure, type: 'FailureTarget' }, failure);
    keep = 0;
    events.push({ regarding: refOf(job), type: 'Warning', reason: failure.reason!, message: failure.message! });
  } else if (complete) {
    conditions.push(cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now), cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
    status.completionTime = stamp(now);
    keep = 0;
    events.push({ regarding: refOf(job), type: 'Normal', reason: 'Completed', message: 'Job completed' });
    if (job.spec.ttlSecondsAfterFinished !== undefined) requeueAfterMs = job.spec.ttlSecondsAfterFinished * 1000;
  } else if (job.spec.suspend) {
    if (!conditions.some((c) => c.type === 'Suspended')) conditions.push(cond('Suspended', 'JobSuspended', 'Job suspended', now));
    keep = 0;
  } else {
    // With completions unset, once one pod succeeded no new pods start (work-queue semantics).
    keep = completions !== undefined ? Math.min(parallelism, completions - succeeded) : succeeded > 0 ? active.length : parallelism;
    if (deadline !== undefined) requeueAfterMs = Math.max(0, started + deadline * 1000 - now.getTime());
  }
  if (!job.metadata.deletionTimestamp) {
    if (active.length < keep && !failure && !complete) {
      for (let i = active.length; i < keep; i++) actions.push({ type: 'create', object: podFromTemplate(job, job.spec.template, { generateName: `${job.metadata.name}-` }) });
    } else if (active.length > keep) {
      for (const p of podsToDelete(active, active.length - keep)) actions.push({ type: 'delete', ref: refOf(p), preconditionUid: p.metadata.uid });
    }
  }
  status.active = failure || complete ? 0 : active.length;
  status.succeeded = succeeded;
  status.failed = failed;
  status.ready = active.filter(isPodReady).length;
  status.terminating = owned.filter(isPodTerminating).length;
  if (conditions.length) status.conditions = conditions;
  return {
    actions,
    ...(statusChanged(job.status, status) ? { status } : {}),
    ...(earliest(requeueAfterMs) !== undefined ? { requeueAfterMs } : {}),
    ...(events.length ? { events } : {}),
  };
}

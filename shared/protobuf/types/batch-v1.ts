/** k8s.io.api.batch.v1: Job and CronJob (kubectl create job|cronjob, create job --from=cronjob/…). */
import { bool, int32, int64, msg, msgs, str, type MessageSpec } from '../schema.ts';

const ptr = { ptr: true } as const;

export const batchV1: Record<string, MessageSpec> = {
  'batch.v1.Job': { 1: msg('metadata', 'meta.v1.ObjectMeta'), 2: msg('spec', 'batch.v1.JobSpec'), 3: msg('status', 'batch.v1.JobStatus') },
  'batch.v1.JobSpec': {
    1: int32('parallelism', ptr),
    2: int32('completions', ptr),
    3: int64('activeDeadlineSeconds', ptr),
    4: msg('selector', 'meta.v1.LabelSelector', ptr),
    5: bool('manualSelector', ptr),
    6: msg('template', 'core.v1.PodTemplateSpec'),
    7: int32('backoffLimit', ptr),
    8: int32('ttlSecondsAfterFinished', ptr),
    9: str('completionMode', ptr),
    10: bool('suspend', ptr),
    12: int32('backoffLimitPerIndex', ptr),
    13: int32('maxFailedIndexes', ptr),
    14: str('podReplacementPolicy', ptr),
    15: str('managedBy', ptr),
  },
  'batch.v1.JobStatus': {
    1: msgs('conditions', 'batch.v1.JobCondition'),
    2: msg('startTime', 'Time', ptr),
    3: msg('completionTime', 'Time', ptr),
    4: int32('active'),
    5: int32('succeeded'),
    6: int32('failed'),
    7: str('completedIndexes'),
    9: int32('ready', ptr),
  },
  'batch.v1.JobCondition': {
    1: str('type'), 2: str('status'), 3: msg('lastProbeTime', 'Time'), 4: msg('lastTransitionTime', 'Time'), 5: str('reason'), 6: str('message'),
  },
  'batch.v1.CronJob': { 1: msg('metadata', 'meta.v1.ObjectMeta'), 2: msg('spec', 'batch.v1.CronJobSpec'), 3: msg('status', 'batch.v1.CronJobStatus') },
  'batch.v1.CronJobSpec': {
    1: str('schedule'),
    2: int64('startingDeadlineSeconds', ptr),
    3: str('concurrencyPolicy'),
    4: bool('suspend', ptr),
    5: msg('jobTemplate', 'batch.v1.JobTemplateSpec'),
    6: int32('successfulJobsHistoryLimit', ptr),
    7: int32('failedJobsHistoryLimit', ptr),
    8: str('timeZone', ptr),
  },
  'batch.v1.JobTemplateSpec': { 1: msg('metadata', 'meta.v1.ObjectMeta'), 2: msg('spec', 'batch.v1.JobSpec') },
  'batch.v1.CronJobStatus': {
    1: msgs('active', 'core.v1.ObjectReference'),
    4: msg('lastScheduleTime', 'Time', ptr),
    5: msg('lastSuccessfulTime', 'Time', ptr),
  },
};

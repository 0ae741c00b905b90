/**
 * batch/v1 Job. Unless `manualSelector`, the selector and the template's controller-uid/job-name labels are
 * generated from metadata.uid (Kubernetes does it in the create strategy): applyDefaults does it once the uid is
 * set, so the store must assign the uid before calling applyDefaults on create.
 */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, humanDuration, nameColumn, podTemplateCells, podTemplateColumns } from '../table-format.ts';
import { fieldErrors, nameValidators, validateImmutable, validateNonnegative } from '../validation.ts';
import { ConditionSchema, defineKind, LabelSelectorSchema, objectShape, statusSubresource, type Json } from './meta.ts';
import { applyPodTemplateDefaults, PodTemplateSpecSchema } from './pod-spec.ts';
import { validateSelectorAndTemplate } from './workload.ts';

export const JobSpecSchema = z.looseObject({
  parallelism: z.number().int().optional(),
  completions: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  backoffLimit: z.number().int().optional(),
  backoffLimitPerIndex: z.number().int().optional(),
  selector: LabelSelectorSchema.optional(),
  manualSelector: z.boolean().optional(),
  template: PodTemplateSpecSchema,
  ttlSecondsAfterFinished: z.number().int().optional(),
  completionMode: z.string().optional(),
  suspend: z.boolean().optional(),
  podReplacementPolicy: z.string().optional(),
});

export const JobSchema = z.looseObject({
  ...objectShape('batch/v1', 'Job'),
  spec: JobSpecSchema,
  status: z
    .looseObject({
      conditions: z.array(ConditionSchema).optional(),
      startTime: z.string().nullable().optional(),
      completionTime: z.string().nullable().optional(),
      active: z.number().int().optional(),
      succeeded: z.number().int().optional(),
      failed: z.number().int().optional(),
      terminating: z.number().int().optional(),
      ready: z.number().int().optional(),
      completedIndexes: z.string().optional(),
      uncountedTerminatedPods: z.looseObject({}).optional(),
    })
    .optional(),
});
export type Job = z.infer<typeof JobSchema>;

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** Job-spec defaults (SetDefaults_Job's spec part); CronJob job templates do not get them. */
export function applyJobSpecDefaults(spec: Json): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ||= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ||= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  applyPodTemplateDefaults(spec.template);
}

function generateSelector(obj: Json): void {
  const uid = obj.metadata?.uid;
  const spec = obj.spec;
  if (!uid || spec.manualSelector === true || spec.selector) return;
  const tpl = (spec.template ??= {});
  tpl.metadata ??= {};
  const labels = (tpl.metadata.labels ??= {});
  labels[CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_NAME_LABEL] ??= obj.metadata.name;
  labels['controller-uid'] ??= uid;
  labels['job-name'] ??= obj.metadata.name;
  spec.selector = { matchLabels: { [CONTROLLER_UID_LABEL]: uid } };
}

export function validateJobSpec(spec: Json | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'backoffLimit']) errs.push(...validateNonnegative(spec?.[k], `${path}.${k}`));
  if (spec?.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(fieldErrors.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be greater than or equal to 1'));
  }
  if (spec?.completionMode && !['NonIndexed', 'Indexed'].includes(spec.completionMode)) {
    errs.push(fieldErrors.notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec?.completionMode === 'Indexed' && spec.completions === undefined) {
    errs.push(fieldErrors.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  return errs;
}

function validateJob(obj: Json, old?: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = [
    ...validateJobSpec(spec, 'spec'),
    ...validateSelectorAndTemplate(spec, 'spec', 'job', { restartPolicies: ['OnFailure', 'Never'] }),
  ];
  if (old) {
    errs.push(...validateImmutable('spec.selector', spec.selector, old.spec?.selector));
    errs.push(...validateImmutable('spec.completionMode', spec.completionMode, old.spec?.completionMode));
    if (spec.completionMode !== 'Indexed') errs.push(...validateImmutable('spec.completions', spec.completions, old.spec?.completions));
    // The template may only change while the job is suspended (to adjust scheduling directives).
    if (!(old.spec?.suspend && spec.suspend)) errs.push(...validateImmutable('spec.template', spec.template, old.spec?.template));
  }
  return errs;
}

function hasCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export function jobStatusCell(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export function jobCompletionsCell(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationCell(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobs = defineKind({
  group: 'batch',
  version: 'v1',
  resource: 'jobs',
  kind: 'Job',
  namespaced: true,
  categories: ['all'],
  subresources: [statusSubresource('batch', 'v1', 'Job')],
  schema: JobSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      obj.spec ??= {};
      applyJobSpecDefaults(obj.spec);
      generateSelector(obj);
      const tplLabels = obj.spec.template?.metadata?.labels;
      if (tplLabels && Object.keys(obj.metadata?.labels ?? {}).length === 0) obj.metadata.labels = { ...tplLabels };
    },
    validate: validateJob,
  },
  table: {
    columns: [
      nameColumn,
      column('Status', 'Status of the job.'),
      column('Completions', 'The number of pods which reached phase Succeeded.'),
      column('Duration', 'Time required to complete the job.'),
      ageColumn,
      ...podTemplateColumns,
    ],
    cells: (obj, now) => {
      const job = obj as Job;
      return [
        job.metadata.name,
        jobStatusCell(job),
        jobCompletionsCell(job),
        durationCell(job, now),
        age(job.metadata.creationTimestamp, now),
        ...podTemplateCells(job.spec?.template, job.spec?.selector),
      ];
    },
  },
  selectableFields: (job) => ({ 'status.successful': String(job.status?.succeeded ?? 0) }),
});

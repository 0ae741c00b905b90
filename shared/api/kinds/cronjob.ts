/** batch/v1 CronJob: Allow/suspend false/3/1 by default; schedule must be a valid cron expression. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, ageColumn, column, nameColumn, podTemplateCells, podTemplateColumns } from '../table-format.ts';
import { fieldErrors, nameValidators, validateLabels, validateNonnegative } from '../validation.ts';
import { defineKind, objectShape, statusSubresource, type Json } from './meta.ts';
import { ObjectMetaSchema } from '../object.ts';
import { applyPodTemplateDefaults, validatePodTemplate } from './pod-spec.ts';
import { JobSpecSchema, validateJobSpec } from './job.ts';
import { validateLabelSelector } from './meta.ts';

export const CronJobSchema = z.looseObject({
  ...objectShape('batch/v1', 'CronJob'),
  spec: z.looseObject({
    schedule: z.string(),
    timeZone: z.string().optional(),
    startingDeadlineSeconds: z.number().int().optional(),
    concurrencyPolicy: z.string().optional(),
    suspend: z.boolean().optional(),
    jobTemplate: z.looseObject({ metadata: ObjectMetaSchema.optional(), spec: JobSpecSchema }),
    successfulJobsHistoryLimit: z.number().int().optional(),
    failedJobsHistoryLimit: z.number().int().optional(),
  }),
  status: z
    .looseObject({
      active: z.array(z.looseObject({})).optional(),
      lastScheduleTime: z.string().nullable().optional(),
      lastSuccessfulTime: z.string().nullable().optional(),
    })
    .optional(),
});
export type CronJob = z.infer<typeof CronJobSchema>;

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIELD_RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const NAMES = [
  {},
  {},
  {},
  Object.fromEntries(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1])),
  Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d, i) => [d, i])),
] as Record<string, number>[];

/** A robfig/cron standard-parser check (5 fields or a macro); returns the parser's complaint or undefined. */
export function cronScheduleError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (/^(TZ|CRON_TZ)=/.test(s)) return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  if (s.startsWith('@')) return MACROS.includes(s) ? undefined : `unrecognized descriptor: ${s}`;
  const fields = s.split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (const [i, f] of fields.entries()) {
    const [lo, hi] = FIELD_RANGES[i];
    for (const part of f.split(',')) {
      const [range, step] = part.split('/');
      if (step !== undefined && !/^\d+$/.test(step)) return `failed to parse int from ${step}: strconv.Atoi: parsing "${step}": invalid syntax`;
      if (range === '*' || range === '?') continue;
      const bounds = range.split('-');
      for (const b of bounds) {
        const n = /^\d+$/.test(b) ? Number(b) : NAMES[i][b.toLowerCase()];
        if (n === undefined) return `failed to parse int from ${b}: strconv.Atoi: parsing "${b}": invalid syntax`;
        if (n < lo) return `beginning of range (${n}) below minimum (${lo}): ${part}`;
        if (n > hi) return `end of range (${n}) above maximum (${hi}): ${part}`;
      }
      if (bounds.length > 2) return `too many hyphens: ${part}`;
    }
  }
  return undefined;
}

function validateCronJob(obj: Json): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if ((obj.metadata?.name ?? '').length > 52) errs.push(fieldErrors.invalid('metadata.name', obj.metadata.name, 'must be no more than 52 characters'));
  if (!spec.schedule) errs.push(fieldErrors.required('spec.schedule'));
  else {
    const err = cronScheduleError(spec.schedule);
    if (err) errs.push(fieldErrors.invalid('spec.schedule', spec.schedule, err));
  }
  if (!['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
    errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy ?? '', ['Allow', 'Forbid', 'Replace']));
  }
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) errs.push(...validateNonnegative(spec[k], `spec.${k}`));
  const jt = spec.jobTemplate ?? {};
  errs.push(...validateLabels(jt.metadata?.labels, 'spec.jobTemplate.metadata.labels'));
  errs.push(...validateJobSpec(jt.spec, 'spec.jobTemplate.spec'));
  if (jt.spec?.selector) errs.push(...validateLabelSelector(jt.spec.selector, 'spec.jobTemplate.spec.selector'));
  errs.push(...validatePodTemplate(jt.spec?.template, 'spec.jobTemplate.spec.template', { restartPolicies: ['OnFailure', 'Never'] }));
  return errs;
}

export const cronjobs = defineKind({
  group: 'batch',
  version: 'v1',
  resource: 'cronjobs',
  kind: 'CronJob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  subresources: [statusSubresource('batch', 'v1', 'CronJob')],
  schema: CronJobSchema,
  strategy: {
    hasStatusSubresource: true,
    tracksGeneration: true,
    name: nameValidators.dnsSubdomain,
    applyDefaults(obj) {
      const spec = (obj.spec ??= {});
      spec.concurrencyPolicy ||= 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      applyPodTemplateDefaults(spec.jobTemplate?.spec?.template);
    },
    validate: validateCronJob,
  },
  table: {
    columns: [
      nameColumn,
      column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
      column('Suspend', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.', { type: 'boolean' }),
      column('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
      column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      ageColumn,
      ...podTemplateColumns,
    ],
    cells: (obj, now) => {
      const cj = obj as CronJob;
      const suspend = cj.spec?.suspend;
      return [
        cj.metadata.name,
        cj.spec?.schedule ?? '',
        cj.spec?.timeZone ?? '<none>',
        suspend === undefined ? '<unset>' : suspend ? 'True' : 'False',
        (cj.status?.active ?? []).length,
        cj.status?.lastScheduleTime ? age(cj.status.lastScheduleTime, now) : '<none>',
        age(cj.metadata.creationTimestamp, now),
        ...podTemplateCells(cj.spec?.jobTemplate?.spec?.template, cj.spec?.jobTemplate?.spec?.selector),
      ];
    },
  },
});

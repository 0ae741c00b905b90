/**
 * CronJob loader: the CronJob and the Jobs of its namespace → reconcileCronJob → applied. The result's
 * requeueAfterMs is the time to the next schedule (a timer in this process); the periodic resync wakes every
 * CronJob too, for schedules a lost timer would miss.
 */
import type { CronJob } from '../../../shared/api/kinds/cronjob.ts';
import type { Job } from '../../../shared/api/kinds/job.ts';
import { reconcileCronJob } from '../cronjob.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const cronJobController: ControllerRegistration = {
  name: 'cronjob',
  resource: 'batch/cronjobs',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const cronJob = await env.api.get<CronJob>('batch/cronjobs', namespace, name);
    if (!cronJob) return;
    const { items: jobs } = await env.api.list<Job>('batch/jobs', namespace);
    const result = reconcileCronJob({ cronJob, jobs, now: env.now() });
    await applyResult(env, result, { controller: 'cronjob', key, owner: cronJob });
  },
};

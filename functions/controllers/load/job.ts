/** Job loader: the Job and the pods of its namespace → reconcileJob → applied. */
import type { Job } from '../../../shared/api/kinds/job.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { reconcileJob } from '../job.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const jobController: ControllerRegistration = {
  name: 'job',
  resource: 'batch/jobs',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const job = await env.api.get<Job>('batch/jobs', namespace, name);
    if (!job) return;
    const { items: pods } = await env.api.list<Pod>('core/pods', namespace);
    const result = reconcileJob({ job, pods, now: env.now() });
    await applyResult(env, result, { controller: 'job', key, owner: job });
  },
};

/** Endpoints loader: the key is a namespace; every Service in it is recomputed from the namespace's pods. */
import type { Endpoints } from '../../../shared/api/kinds/endpoints.ts';
import type { EndpointSlice } from '../../../shared/api/kinds/endpointslice.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { Service } from '../../../shared/api/kinds/service.ts';
import { reconcileEndpoints, SERVICE_NAME_LABEL } from '../endpoints.ts';
import { applyResult, type ControllerRegistration } from '../runner.ts';

export const endpointsController: ControllerRegistration = {
  name: 'endpoints',
  async load(namespace, env) {
    const [services, pods, endpoints, slices] = await Promise.all([
      env.api.list<Service>('core/services', namespace),
      env.api.list<Pod>('core/pods', namespace),
      env.api.list<Endpoints>('core/endpoints', namespace),
      env.api.list<EndpointSlice>('discovery.k8s.io/endpointslices', namespace),
    ]);
    for (const service of services.items) {
      const name = service.metadata.name ?? '';
      const result = reconcileEndpoints({
        service,
        pods: pods.items,
        endpoints: endpoints.items.find((e) => e.metadata.name === name),
        slices: slices.items.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name),
      });
      await applyResult(env, result, { controller: 'endpoints', key: namespace });
    }
  },
};

/**
 * The LoadBalancer Service controller's runner: per key (`namespace/name` of a Service) it reads the Service and the
 * Nodes, takes the pure decisions of load-balancer.ts and carries them out through the API and the provider. A
 * provider error throws (the queue retries the key; the finalizer keeps the Service until delete() succeeded).
 *
 * The broadcast key `*` (node changes, the resync) fans out to the Services that concern this controller, and
 * sweeps load balancers whose Service no longer exists (one deleted by force, its finalizer removed by hand).
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Service } from '../../shared/api/kinds/service.ts';
import type { ReconcileContext } from '../pipeline/controller-handler.ts';
import { objectKey } from '../dispatch/controller-keys.ts';
import { refOf, type EventSpec } from '../controllers/types.ts';
import { applyResult, recordEvents, splitKey, type ControllerRegistration, type RunnerEnv } from '../controllers/runner.ts';
import type { LoadBalancerProvider } from './load-balancer-provider.ts';
import { decideLoadBalancer, hasCleanupFinalizer, isLoadBalancerService, statusWithIngress, withFinalizer, withoutFinalizer } from './load-balancer.ts';

const CONTROLLER = 'loadbalancer';
const COMPONENT = 'service-controller';

export function loadBalancerController(provider: LoadBalancerProvider): ControllerRegistration {
  return {
    name: CONTROLLER,
    async load(key, env) {
      const { namespace, name } = splitKey(key);
      const service = await env.api.get<Service>('core/services', namespace, name);
      if (!service) return;
      const ensuring = isLoadBalancerService(service) && !service.metadata.deletionTimestamp;
      const nodes = ensuring ? (await env.api.list<Node>('core/nodes')).items : [];
      const decision = decideLoadBalancer({ service, nodes });
      const componentEnv = { ...env, component: COMPONENT };
      if (decision.events.length) await recordEvents(componentEnv, decision.events, CONTROLLER);

      let current = service;
      if (decision.addFinalizer) current = await env.api.update(withFinalizer(current));
      if (decision.ensure) {
        const ingress = await withFailureEvent(componentEnv, current, 'SyncLoadBalancerFailed', () => provider.ensure(decision.ensure!));
        const status = statusWithIngress(current, ingress);
        const events: EventSpec[] = status ? [{ regarding: refOf(current), type: 'Normal', reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer' }] : [];
        await applyResult(componentEnv, { actions: [], ...(status ? { status } : {}), events }, { controller: CONTROLLER, key, owner: current });
      }
      if (decision.delete) {
        await withFailureEvent(componentEnv, current, 'DeleteLoadBalancerFailed', () => provider.delete(decision.delete!));
        if (decision.clearStatus) current = await env.api.updateStatus({ ...current, status: { ...(current.status ?? {}), loadBalancer: {} } });
        if (decision.removeFinalizer) await env.api.update(withoutFinalizer(current));
        await recordEvents(componentEnv, [{ regarding: refOf(current), type: 'Normal', reason: 'DeletedLoadBalancer', message: 'Deleted load balancer' }], CONTROLLER);
      }
    },
  };
}

/** Records a Warning Event for a provider failure (what `kubectl describe service` shows), then rethrows. */
async function withFailureEvent<T>(env: RunnerEnv, service: Service, reason: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    await recordEvents(env, [{ regarding: refOf(service), type: 'Warning', reason, message: `Error syncing load balancer: ${(err as Error).message}` }], CONTROLLER);
    throw err;
  }
}

/** The `*` key: one key per Service this controller has to look at, and a sweep of orphaned load balancers. */
export function loadBalancerBroadcast(provider: LoadBalancerProvider) {
  return async (env: RunnerEnv, context: ReconcileContext): Promise<void> => {
    // The provider first: a load balancer listed before the Service snapshot whose Service is absent from it is an
    // orphan for good (uids never come back); the other order could delete one ensured for a brand-new Service.
    const held = await provider.list();
    const services = await env.api.list<Service>('core/services');
    const concerned = services.items.filter((s) => isLoadBalancerService(s) || hasCleanupFinalizer(s) || (s.status?.loadBalancer?.ingress ?? []).length > 0);
    if (concerned.length) {
      const keys = concerned.map((s) => ({ controller: CONTROLLER, key: objectKey(s.metadata.namespace ?? '', s.metadata.name ?? '') }) as const);
      await env.send(keys, `fanout:${context.rv ?? env.now().toISOString()}`);
    }
    const uids = new Set(services.items.map((s) => s.metadata.uid));
    for (const orphan of held.filter((h) => !uids.has(h.uid))) {
      env.logger.info({ namespace: orphan.namespace, name: orphan.name, uid: orphan.uid }, 'deleting the load balancer of a Service that no longer exists');
      await provider.delete(orphan);
    }
  };
}

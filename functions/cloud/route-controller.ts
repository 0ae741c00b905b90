/**
 * Route controller runner: one key for the whole VPC (ROUTES_KEY, cloud-keys.ts), since a route table is shared by every node and a
 * removed Node is only visible as a route that nobody claims. Steps run in plan order; a failure throws (retry).
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { ControllerRegistration } from '../controllers/runner.ts';
import { ROUTES_KEY } from './cloud-keys.ts';
import type { Ec2Port } from './ec2-port.ts';
import { instanceOf } from './provider-id.ts';
import { planRoutes, type RouteStep } from './routes.ts';

export function routeController(ec2: Ec2Port, clusterPodCidr: string): ControllerRegistration {
  return {
    name: 'route',
    async load(key, env) {
      if (key !== ROUTES_KEY) return;
      const nodes = (await env.api.list<Node>('core/nodes')).items;
      const ids = [...new Set(nodes.map((n) => instanceOf(n)?.instanceId).filter((id): id is string => Boolean(id)))];
      const [instances, tables] = await Promise.all([ids.length ? ec2.describeInstances(ids) : Promise.resolve([]), ec2.listRouteTables()]);
      for (const step of planRoutes({ nodes, instances, tables, clusterPodCidr })) {
        env.logger.info({ controller: 'route', ...step }, 'route change');
        await applyRouteStep(ec2, step);
      }
    },
  };
}

async function applyRouteStep(ec2: Ec2Port, step: RouteStep): Promise<void> {
  switch (step.type) {
    case 'createRoute':
      return ec2.createRoute(step.routeTableId, step.destinationCidr, step.instanceId);
    case 'replaceRoute':
      return ec2.replaceRoute(step.routeTableId, step.destinationCidr, step.instanceId);
    case 'deleteRoute':
      return ec2.deleteRoute(step.routeTableId, step.destinationCidr);
    case 'disableSourceDestCheck':
      return ec2.disableSourceDestCheck(step.instanceId);
  }
}

import { describe, expect, it } from 'vitest';
import type { InstanceInfo, RouteTableInfo } from '../../../functions/cloud/ec2-port.ts';
import { cidrWithin, planRoutes, type RouteStep } from '../../../functions/cloud/routes.ts';
import { cloudNode } from './builders.ts';

const POD_CIDR = '10.244.0.0/16';
const A = 'i-0000000000000000a';
const B = 'i-0000000000000000b';
const running = (id: string, sourceDestCheck = false): InstanceInfo => ({ instanceId: id, state: 'running', sourceDestCheck });
const local = { destinationCidr: '10.0.0.0/16' };
const internet = { destinationCidr: '0.0.0.0/0' };
const table = (...routes: RouteTableInfo['routes']): RouteTableInfo => ({ routeTableId: 'rtb-1', routes: [local, internet, ...routes] });
const nodeA = cloudNode({ name: 'a', instanceId: A, podCIDR: '10.244.0.0/24' });
const nodeB = cloudNode({ name: 'b', instanceId: B, podCIDR: '10.244.1.0/24' });

describe('planRoutes', () => {
  it.each<[string, Parameters<typeof planRoutes>[0]['nodes'], InstanceInfo[], RouteTableInfo[], RouteStep[]]>([
    [
      'a new node gets a route and its source/destination check turned off',
      [nodeA],
      [running(A, true)],
      [table()],
      [
        { type: 'createRoute', routeTableId: 'rtb-1', destinationCidr: '10.244.0.0/24', instanceId: A },
        { type: 'disableSourceDestCheck', instanceId: A },
      ],
    ],
    ['routes in step change nothing', [nodeA, nodeB], [running(A), running(B)], [table({ destinationCidr: '10.244.0.0/24', instanceId: A, state: 'active' }, { destinationCidr: '10.244.1.0/24', instanceId: B, state: 'active' })], []],
    [
      'a route to another instance (the node was replaced) is replaced',
      [nodeA],
      [running(A)],
      [table({ destinationCidr: '10.244.0.0/24', instanceId: B, state: 'blackhole' })],
      [{ type: 'replaceRoute', routeTableId: 'rtb-1', destinationCidr: '10.244.0.0/24', instanceId: A }],
    ],
    [
      'a route nobody claims inside the pod range is deleted; routes outside it are never touched',
      [],
      [],
      [table({ destinationCidr: '10.244.7.0/24', instanceId: B, state: 'blackhole' }, { destinationCidr: '192.168.0.0/24', instanceId: B })],
      [{ type: 'deleteRoute', routeTableId: 'rtb-1', destinationCidr: '10.244.7.0/24' }],
    ],
    [
      'a node whose instance is terminated gets no route (and its old one goes)',
      [nodeA],
      [{ instanceId: A, state: 'terminated', sourceDestCheck: true }],
      [table({ destinationCidr: '10.244.0.0/24', instanceId: A, state: 'blackhole' })],
      [{ type: 'deleteRoute', routeTableId: 'rtb-1', destinationCidr: '10.244.0.0/24' }],
    ],
    ['a node without podCIDR or instance is skipped', [cloudNode({ name: 'x', instanceId: A }), cloudNode({ name: 'y', podCIDR: '10.244.2.0/24' })], [running(A, true)], [table()], []],
    ['a podCIDR outside the cluster range is refused', [cloudNode({ name: 'x', instanceId: A, podCIDR: '10.0.0.0/24' })], [running(A, true)], [table()], []],
    [
      'every route table gets the route',
      [nodeA],
      [running(A)],
      [table(), { routeTableId: 'rtb-2', routes: [] }],
      [
        { type: 'createRoute', routeTableId: 'rtb-1', destinationCidr: '10.244.0.0/24', instanceId: A },
        { type: 'createRoute', routeTableId: 'rtb-2', destinationCidr: '10.244.0.0/24', instanceId: A },
      ],
    ],
  ])('%s', (_, nodes, instances, tables, want) => {
    expect(planRoutes({ nodes, instances, tables, clusterPodCidr: POD_CIDR })).toEqual(want);
  });
});

describe('cidrWithin', () => {
  it.each([
    ['10.244.3.0/24', '10.244.0.0/16', true],
    ['10.244.0.0/16', '10.244.0.0/16', true],
    ['10.245.0.0/24', '10.244.0.0/16', false],
    ['10.0.0.0/8', '10.244.0.0/16', false],
    ['0.0.0.0/0', '10.244.0.0/16', false],
    ['not a cidr', '10.244.0.0/16', false],
  ])('%s within %s: %s', (inner, outer, want) => {
    expect(cidrWithin(inner, outer)).toBe(want);
  });
});

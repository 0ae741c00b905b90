import { describe, expect, it } from 'vitest';
import { cloudKeysForNodeChange } from '../../../functions/cloud/cloud-keys.ts';
import { keysForChange } from '../../../functions/dispatch/controller-keys.ts';
import type { ControllerKey } from '../../../functions/pipeline/queue-message.ts';
import { cloudNode } from './builders.ts';

const ID = 'i-0123456789abcdef0';
const ready = cloudNode({ name: 'n', instanceId: ID, podCIDR: '10.244.0.0/24' });
const notReady = cloudNode({ name: 'n', instanceId: ID, podCIDR: '10.244.0.0/24', ready: 'Unknown' });
const heartbeat = { ...ready, status: { ...ready.status, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2025-01-01T00:00:10Z' }] } };
const LB: ControllerKey = { controller: 'loadbalancer', key: '*' };
const ROUTES: ControllerKey = { controller: 'route', key: 'vpc' };
const NODE: ControllerKey = { controller: 'cloudnode', key: 'n' };

describe('cloudKeysForNodeChange', () => {
  it.each([
    ['a new Ready node: load balancer targets and routes', undefined, ready, [LB, ROUTES]],
    ['a removed node: load balancer targets and routes', ready, undefined, [LB, ROUTES]],
    ['a heartbeat wakes nothing', ready, heartbeat, []],
    ['a node turning NotReady: targets, and is its instance gone?', ready, notReady, [LB, NODE]],
    ['a node turning Ready again: targets only', notReady, ready, [LB]],
    ['a new pod range: routes only', cloudNode({ name: 'n', instanceId: ID }), ready, [ROUTES]],
  ])('%s', (_, before, after, want) => {
    expect(cloudKeysForNodeChange({ name: 'n', oldObject: before, newObject: after })).toEqual(want);
  });

  it('reaches dispatch for node changes', () => {
    const keys = keysForChange({ resource: 'core/nodes', namespace: '', name: 'n', oldObject: ready, newObject: notReady });
    expect(keys).toEqual(expect.arrayContaining([LB, NODE]));
  });
});

import { describe, expect, it } from 'vitest';
import { reconcileCloudNode } from '../../../functions/cloud/cloud-node.ts';
import type { InstanceInfo } from '../../../functions/cloud/ec2-port.ts';
import { parseProviderId } from '../../../functions/cloud/provider-id.ts';
import { cloudNode, type CloudNodeOptions } from './builders.ts';

const ID = 'i-0123456789abcdef0';
const instance = (state: string): InstanceInfo => ({ instanceId: ID, state, sourceDestCheck: false });

describe('reconcileCloudNode', () => {
  it.each<[string, CloudNodeOptions, InstanceInfo | undefined, boolean]>([
    ['a NotReady node whose instance no longer exists is deleted', { name: 'n', instanceId: ID, ready: 'Unknown' }, undefined, true],
    ['a NotReady node whose instance is terminated is deleted', { name: 'n', instanceId: ID, ready: 'False' }, instance('terminated'), true],
    ['a NotReady node whose instance is stopped stays (it may start again)', { name: 'n', instanceId: ID, ready: 'Unknown' }, instance('stopped'), false],
    ['a Ready node stays whatever EC2 says (eventual consistency)', { name: 'n', instanceId: ID }, undefined, false],
    ['a node without an AWS providerID is none of ours', { name: 'n', ready: 'Unknown' }, undefined, false],
    ['a node already being deleted is left alone', { name: 'n', instanceId: ID, ready: 'Unknown', deleting: true }, undefined, false],
  ])('%s', (_, options, found, deleted) => {
    const result = reconcileCloudNode({ node: cloudNode(options), instance: found });
    expect(result.actions).toEqual(deleted ? [{ type: 'delete', ref: { apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'uid-n' }, preconditionUid: 'uid-n' }] : []);
    expect(result.events?.map((e) => e.reason) ?? []).toEqual(deleted ? ['DeletingNode'] : []);
  });
});

describe('parseProviderId', () => {
  it.each([
    ['aws:///eu-west-1a/i-0123456789abcdef0', { zone: 'eu-west-1a', instanceId: 'i-0123456789abcdef0' }],
    ['aws://eu-west-1a/i-0123abcd', { zone: 'eu-west-1a', instanceId: 'i-0123abcd' }],
    ['aws:////i-0123abcd', { zone: '', instanceId: 'i-0123abcd' }],
    ['gce://project/zone/name', undefined],
    ['aws:///eu-west-1a/not-an-instance', undefined],
    ['', undefined],
  ])('%s', (text, want) => {
    expect(parseProviderId(text)).toEqual(want);
  });
});

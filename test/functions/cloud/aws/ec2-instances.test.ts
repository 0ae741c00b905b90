import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEc2 } from '../../../../functions/cloud/aws/ec2-instances.ts';

const ec2 = mockClient(EC2Client);
const adapter = (routeTableIds = ['rtb-1', 'rtb-2']) => new AwsEc2({ client: new EC2Client({ region: 'eu-west-1' }), routeTableIds });
const inputs = (command: Parameters<typeof ec2.commandCalls>[0]) => ec2.commandCalls(command).map((c) => c.args[0].input);
const awsError = (name: string) => Object.assign(new Error(name), { name });

beforeEach(() => {
  ec2.reset();
});

describe('Class: AwsEc2', () => {
  it('describes instances through an instance-id filter, so unknown ids are simply absent', async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce({
      Reservations: [{ Instances: [{ InstanceId: 'i-a', State: { Name: 'running' }, SourceDestCheck: true }] }],
      NextToken: 't2',
    }).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-b', State: { Name: 'terminated' }, SourceDestCheck: false }] }] });
    await expect(adapter().describeInstances(['i-a', 'i-b', 'i-gone'])).resolves.toEqual([
      { instanceId: 'i-a', state: 'running', sourceDestCheck: true },
      { instanceId: 'i-b', state: 'terminated', sourceDestCheck: false },
    ]);
    expect(inputs(DescribeInstancesCommand)).toEqual([
      { Filters: [{ Name: 'instance-id', Values: ['i-a', 'i-b', 'i-gone'] }], NextToken: undefined },
      { Filters: [{ Name: 'instance-id', Values: ['i-a', 'i-b', 'i-gone'] }], NextToken: 't2' },
    ]);
  });

  it('turns the source/destination check off', async () => {
    ec2.on(ModifyInstanceAttributeCommand).resolves({});
    await adapter().disableSourceDestCheck('i-a');
    expect(inputs(ModifyInstanceAttributeCommand)).toEqual([{ InstanceId: 'i-a', SourceDestCheck: { Value: false } }]);
  });

  it('lists only the configured route tables, with their IPv4 routes', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-1',
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
            { DestinationCidrBlock: '10.244.0.0/24', InstanceId: 'i-a', State: 'blackhole' },
            { DestinationIpv6CidrBlock: '::/0', GatewayId: 'igw-1' },
          ],
        },
      ],
    });
    await expect(adapter().listRouteTables()).resolves.toEqual([
      { routeTableId: 'rtb-1', routes: [{ destinationCidr: '10.0.0.0/16', state: 'active' }, { destinationCidr: '10.244.0.0/24', instanceId: 'i-a', state: 'blackhole' }] },
    ]);
    expect(inputs(DescribeRouteTablesCommand)).toEqual([{ RouteTableIds: ['rtb-1', 'rtb-2'] }]);
    await expect(adapter([]).listRouteTables()).resolves.toEqual([]);
    expect(ec2.commandCalls(DescribeRouteTablesCommand)).toHaveLength(1);
  });

  it('creates, replaces and deletes routes to an instance', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    ec2.on(ReplaceRouteCommand).resolves({});
    ec2.on(DeleteRouteCommand).resolves({});
    const a = adapter();
    await a.createRoute('rtb-1', '10.244.0.0/24', 'i-a');
    await a.replaceRoute('rtb-1', '10.244.1.0/24', 'i-b');
    await a.deleteRoute('rtb-1', '10.244.2.0/24');
    expect(inputs(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '10.244.0.0/24', InstanceId: 'i-a' }]);
    expect(inputs(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '10.244.1.0/24', InstanceId: 'i-b' }]);
    expect(inputs(DeleteRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '10.244.2.0/24' }]);
  });

  it('treats a route that already exists as one to replace, and a missing one as deleted', async () => {
    ec2.on(CreateRouteCommand).rejects(awsError('RouteAlreadyExists'));
    ec2.on(ReplaceRouteCommand).resolves({});
    ec2.on(DeleteRouteCommand).rejects(awsError('InvalidRoute.NotFound'));
    await adapter().createRoute('rtb-1', '10.244.0.0/24', 'i-a');
    await adapter().deleteRoute('rtb-1', '10.244.0.0/24');
    expect(inputs(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '10.244.0.0/24', InstanceId: 'i-a' }]);
  });

  it('passes other errors on (the queue retries the key)', async () => {
    ec2.on(DeleteRouteCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(adapter().deleteRoute('rtb-1', '10.244.0.0/24')).rejects.toThrow('UnauthorizedOperation');
  });
});

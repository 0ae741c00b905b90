/**
 * Ec2Port on AWS (@aws-sdk/client-ec2). Instances are looked up with an `instance-id` filter rather than
 * InstanceIds: with InstanceIds one unknown id fails the whole call (InvalidInstanceID.NotFound), with the filter
 * EC2 just leaves it out, which is exactly "this instance does not exist". Route tables are the configured ones
 * (the node subnets' tables of the cluster's VPC), never discovered, so the controller cannot wander into others.
 */
import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { Ec2Port, InstanceInfo, RouteTableInfo } from '../ec2-port.ts';

export interface AwsEc2Options {
  client: EC2Client;
  routeTableIds: string[];
}

/** DescribeInstances accepts at most 200 values in one filter. */
const IDS_PER_CALL = 200;

export class AwsEc2 implements Ec2Port {
  constructor(private readonly options: AwsEc2Options) {}

  async describeInstances(ids: string[]): Promise<InstanceInfo[]> {
    const out: InstanceInfo[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      let token: string | undefined;
      do {
        const page = await this.options.client.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids.slice(i, i + IDS_PER_CALL) }], NextToken: token }),
        );
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (!instance.InstanceId) continue;
            out.push({ instanceId: instance.InstanceId, state: instance.State?.Name ?? 'unknown', sourceDestCheck: instance.SourceDestCheck ?? true });
          }
        }
        token = page.NextToken;
      } while (token);
    }
    return out;
  }

  async disableSourceDestCheck(instanceId: string): Promise<void> {
    await this.options.client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SourceDestCheck: { Value: false } }));
  }

  async listRouteTables(): Promise<RouteTableInfo[]> {
    if (this.options.routeTableIds.length === 0) return [];
    const out = await this.options.client.send(new DescribeRouteTablesCommand({ RouteTableIds: this.options.routeTableIds }));
    return (out.RouteTables ?? []).map((table) => ({
      routeTableId: table.RouteTableId ?? '',
      routes: (table.Routes ?? [])
        .filter((r) => r.DestinationCidrBlock)
        .map((r) => ({
          destinationCidr: r.DestinationCidrBlock!,
          ...(r.InstanceId ? { instanceId: r.InstanceId } : {}),
          ...(r.State ? { state: r.State } : {}),
        })),
    }));
  }

  async createRoute(routeTableId: string, destinationCidr: string, instanceId: string): Promise<void> {
    try {
      await this.options.client.send(new CreateRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destinationCidr, InstanceId: instanceId }));
    } catch (err) {
      // Created by an earlier attempt whose reply was lost: make sure it points at the right instance.
      if (!(err instanceof Error && err.name === 'RouteAlreadyExists')) throw err;
      await this.replaceRoute(routeTableId, destinationCidr, instanceId);
    }
  }

  async replaceRoute(routeTableId: string, destinationCidr: string, instanceId: string): Promise<void> {
    await this.options.client.send(new ReplaceRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destinationCidr, InstanceId: instanceId }));
  }

  async deleteRoute(routeTableId: string, destinationCidr: string): Promise<void> {
    try {
      await this.options.client.send(new DeleteRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destinationCidr }));
    } catch (err) {
      if (!(err instanceof Error && err.name === 'InvalidRoute.NotFound')) throw err;
    }
  }
}

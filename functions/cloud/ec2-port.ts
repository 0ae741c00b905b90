/**
 * The port to the EC2 facts the node and route controllers need: which instances exist (and in which state), the
 * VPC route tables the cluster routes pod ranges in, and each instance's source/destination check. The AWS adapter
 * is aws/ec2-instances.ts; locally there is none (one machine, no VPC).
 */

export interface InstanceInfo {
  instanceId: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  /** True until turned off; an instance forwarding other addresses' packets (pod ranges) needs it off. */
  sourceDestCheck: boolean;
}

export interface RouteInfo {
  destinationCidr: string;
  instanceId?: string;
  /** active | blackhole (the target instance is gone) */
  state?: string;
}

export interface RouteTableInfo {
  routeTableId: string;
  routes: RouteInfo[];
}

export interface Ec2Port {
  /** The instances among `ids` that EC2 still knows (terminated ones stay visible for about an hour). */
  describeInstances(ids: string[]): Promise<InstanceInfo[]>;
  disableSourceDestCheck(instanceId: string): Promise<void>;
  /** The route tables the cluster manages pod routes in (the VPC's node subnets). */
  listRouteTables(): Promise<RouteTableInfo[]>;
  createRoute(routeTableId: string, destinationCidr: string, instanceId: string): Promise<void>;
  replaceRoute(routeTableId: string, destinationCidr: string, instanceId: string): Promise<void>;
  deleteRoute(routeTableId: string, destinationCidr: string): Promise<void>;
}

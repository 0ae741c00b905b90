/**
 * The cloud controllers' wiring (functions/cloud/handler.ts): what the cloud function is told about the VPC, and the
 * only ELBv2 and EC2 permissions in the stack — on this one role.
 *
 * Least privilege, statement by statement:
 * - Describe* calls have no resource-level permissions in IAM (service authorization reference): `*`, read only.
 * - Creating a load balancer or target group is allowed only with the cluster's tag in the request, and tagging only
 *   as part of those creations (elasticloadbalancing:CreateAction), so the role cannot tag itself into owning
 *   someone else's load balancer.
 * - Every change to an existing load balancer, listener or target group requires the cluster's tag on it.
 * - Routes: only in the node subnets' route tables (by ARN); source/destination check: only on instances tagged
 *   with the cluster (the Auto Scaling group propagates the tag at launch).
 * - Names are `zp-` hashes (functions/cloud/aws/elbv2-load-balancers.ts), which the ARNs are narrowed to as well.
 *
 * It also opens the NodePorts to the VPC's own range: a network load balancer's health checks (and the traffic of an
 * internal one) come from its private addresses in the node subnets. Internet clients of an internet-facing load
 * balancer reach the nodes with their own addresses (client IP preservation), so they need nodePortSourceCidrs.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

/** The tag every cloud resource of a cluster carries (functions/cloud/aws/elbv2-load-balancers.ts CLUSTER_TAG). */
export const CLUSTER_TAG = 'zeroplane:cluster';

export interface CloudControllersProps {
  /** The function consuming the cloud queue. */
  fn: ZeroplaneFunction;
  clusterName: string;
  vpc: ec2.IVpc;
  /** The node subnets: where load balancers are placed, and whose route tables carry the pod routes. */
  subnets: ec2.ISubnet[];
  /** The cluster's pod range (the route controller never touches routes outside it). */
  podCidr: string;
  /** The VPC's range as written in the props (a literal, so cdk-nag can see it is not 0.0.0.0/0). */
  vpcCidr: string;
  /** The nodes' security group, opened to the VPC range on NodePorts for load balancer health checks. */
  nodeSecurityGroup: ec2.ISecurityGroup;
}

export const ELB_DESCRIBE_ACTIONS = [
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTags',
];
export const EC2_DESCRIBE_ACTIONS = ['ec2:DescribeInstances', 'ec2:DescribeRouteTables'];
export const ELB_CREATE_ACTIONS = ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'];
export const ELB_OWNED_ACTIONS = [
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:DeleteListener',
  'elasticloadbalancing:DeleteLoadBalancer',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DeregisterTargets',
];
export const ROUTE_ACTIONS = ['ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute'];

export class CloudControllers extends Construct {
  constructor(scope: Construct, id: string, props: CloudControllersProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    const fn = props.fn;
    const elb = (resource: string) => `arn:${partition}:elasticloadbalancing:${region}:${account}:${resource}`;
    const loadBalancers = elb('loadbalancer/net/zp-*/*');
    const targetGroups = elb('targetgroup/zp-*/*');
    const listeners = elb('listener/net/zp-*/*/*');
    const clusterTag = (key: 'aws:RequestTag' | 'aws:ResourceTag' | 'ec2:ResourceTag') => ({ [`${key}/${CLUSTER_TAG}`]: props.clusterName });

    fn.allow([...ELB_DESCRIBE_ACTIONS, ...EC2_DESCRIBE_ACTIONS], ['*']);
    fn.allow(ELB_CREATE_ACTIONS, [loadBalancers, targetGroups], { StringEquals: clusterTag('aws:RequestTag') });
    fn.allow(['elasticloadbalancing:AddTags'], [loadBalancers, targetGroups, listeners], {
      StringEquals: {
        'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup', 'CreateListener'],
        ...clusterTag('aws:RequestTag'),
      },
    });
    fn.allow(ELB_OWNED_ACTIONS, [loadBalancers, targetGroups, listeners], { StringEquals: clusterTag('aws:ResourceTag') });
    // The first network load balancer of an account creates ELB's service-linked role.
    fn.allow(['iam:CreateServiceLinkedRole'], [`arn:${partition}:iam::${account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`], {
      StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' },
    });

    const routeTableIds = [...new Set(props.subnets.map((s) => s.routeTable.routeTableId))];
    fn.allow(ROUTE_ACTIONS, routeTableIds.map((rtb) => `arn:${partition}:ec2:${region}:${account}:route-table/${rtb}`));
    fn.allow(['ec2:ModifyInstanceAttribute'], [`arn:${partition}:ec2:${region}:${account}:instance/*`], { StringEquals: clusterTag('ec2:ResourceTag') });

    // cdk-nag names a finding by the resource as rendered: the region is concrete (the stack requires one).
    const nagArn = (service: string, resource: string) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${service}:${region}:<AWS::AccountId>:${resource}]`;
    Validations.of(fn.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ELBv2 and EC2 Describe* calls support no resource-level permissions (service authorization reference); they are read-only.',
      },
      {
        id: nagArn('elasticloadbalancing', 'loadbalancer/net/zp-*/*'),
        reason: 'Load balancer names are hashes created at run time; every statement on them requires the cluster tag (request or resource).',
      },
      {
        id: nagArn('elasticloadbalancing', 'targetgroup/zp-*/*'),
        reason: 'Target group names are hashes created at run time; every statement on them requires the cluster tag (request or resource).',
      },
      {
        id: nagArn('elasticloadbalancing', 'listener/net/zp-*/*/*'),
        reason: 'Listeners are created at run time; changing one requires the cluster tag on it.',
      },
      {
        id: nagArn('ec2', 'instance/*'),
        reason: 'Node instances come and go with the Auto Scaling group; ModifyInstanceAttribute requires the cluster tag on the instance.',
      },
    );

    fn.function.addEnvironment('VPC_ID', props.vpc.vpcId);
    fn.function.addEnvironment('SUBNET_IDS', props.subnets.map((s) => s.subnetId).join(','));
    fn.function.addEnvironment('ROUTE_TABLE_IDS', routeTableIds.join(','));
    fn.function.addEnvironment('POD_CIDR', props.podCidr);

    props.nodeSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.vpcCidr), ec2.Port.tcpRange(30000, 32767), 'NodePorts from load balancers in the VPC');
  }
}

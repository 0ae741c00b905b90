/**
 * The cloud controllers in the stack: their own function on the cloud queue, the VPC facts it is told, and the IAM
 * statements — the only ELBv2/EC2 permissions in the stack, each scoped by tag or by route table.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TAG, EC2_DESCRIBE_ACTIONS, ELB_CREATE_ACTIONS, ELB_DESCRIBE_ACTIONS, ELB_OWNED_ACTIONS, ROUTE_ACTIONS } from '../../cdk/constructs/cloud-controllers.ts';
import { CLUSTER_TAG as ADAPTER_CLUSTER_TAG } from '../../functions/cloud/aws/elbv2-load-balancers.ts';
import { QUEUE_CONSUMERS } from '../../cdk/lambda-functions.ts';
import { ZEROPLANE_DEFAULTS, type ZeroplaneStack } from '../../cdk/zeroplane-stack.ts';
import { synthTemplate, TEST_REGION } from './stack-fixture.ts';

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };
type Resource = { Type: string; Properties: Record<string, unknown> };

let stack: ZeroplaneStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTemplate());
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const CLUSTER = ZEROPLANE_DEFAULTS.clusterName;
const elbArn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:elasticloadbalancing:${TEST_REGION}:`, { Ref: 'AWS::AccountId' }, `:${resource}`]] });

function statementsOf(roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p) => ((p as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const cloudStatements = () => statementsOf(logicalId(stack.functions.cloud.role));
const statementWith = (action: string) => cloudStatements().find((s) => asArray(s.Action).includes(action));

describe('Construct: CloudControllers', () => {
  it('runs the cloud queue on its own function', () => {
    expect(QUEUE_CONSUMERS.cloud).toBe('cloud');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.queues.queues.cloud), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.functions.cloud.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('tells the function the VPC, the node subnets, their route tables and the pod range', () => {
    const subnets = stack.nodes.vpc.publicSubnets;
    const env = (template.toJSON().Resources as Record<string, Resource>)[logicalId(stack.functions.cloud.function)].Properties.Environment as { Variables: Record<string, unknown> };
    expect(env.Variables).toMatchObject({
      CLUSTER_NAME: CLUSTER,
      POD_CIDR: ZEROPLANE_DEFAULTS.podCidr,
      VPC_ID: { Ref: stack.getLogicalId(stack.nodes.vpc.node.defaultChild as CfnElement) },
      TABLE_PREFIX: CLUSTER,
      CLOUD_QUEUE_URL: { Ref: logicalId(stack.queues.queues.cloud) },
    });
    expect(JSON.stringify(env.Variables.SUBNET_IDS)).toContain(stack.getLogicalId(subnets[0].node.defaultChild as CfnElement));
    expect((JSON.stringify(env.Variables.ROUTE_TABLE_IDS).match(/RouteTable/g) ?? []).length).toBe(subnets.length);
  });

  it('tags with the same key the IAM conditions name', () => {
    expect(CLUSTER_TAG).toBe(ADAPTER_CLUSTER_TAG);
  });

  it('allows the Describe calls (which have no resource-level permissions) on `*`, and nothing else there', () => {
    const star = cloudStatements().filter((s) => asArray(s.Resource).includes('*'));
    expect(star).toEqual([{ Effect: 'Allow', Action: [...ELB_DESCRIBE_ACTIONS, ...EC2_DESCRIBE_ACTIONS], Resource: '*' }]);
    expect(ELB_DESCRIBE_ACTIONS.concat(EC2_DESCRIBE_ACTIONS).every((a) => /:Describe[A-Za-z]+$/.test(a))).toBe(true);
  });

  it('creates load balancers and target groups only with the cluster tag in the request', () => {
    expect(statementWith('elasticloadbalancing:CreateLoadBalancer')).toEqual({
      Effect: 'Allow',
      Action: ELB_CREATE_ACTIONS,
      Resource: [elbArn('loadbalancer/net/zp-*/*'), elbArn('targetgroup/zp-*/*')],
      Condition: { StringEquals: { 'aws:RequestTag/zeroplane:cluster': CLUSTER } },
    });
  });

  it('tags only while creating', () => {
    expect(statementWith('elasticloadbalancing:AddTags')).toEqual({
      Effect: 'Allow',
      Action: 'elasticloadbalancing:AddTags',
      Resource: [elbArn('loadbalancer/net/zp-*/*'), elbArn('targetgroup/zp-*/*'), elbArn('listener/net/zp-*/*/*')],
      Condition: {
        StringEquals: {
          'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup', 'CreateListener'],
          'aws:RequestTag/zeroplane:cluster': CLUSTER,
        },
      },
    });
  });

  it('changes and deletes only load balancers, listeners and target groups carrying the cluster tag', () => {
    expect(statementWith('elasticloadbalancing:DeleteLoadBalancer')).toEqual({
      Effect: 'Allow',
      Action: ELB_OWNED_ACTIONS,
      Resource: [elbArn('loadbalancer/net/zp-*/*'), elbArn('targetgroup/zp-*/*'), elbArn('listener/net/zp-*/*/*')],
      Condition: { StringEquals: { 'aws:ResourceTag/zeroplane:cluster': CLUSTER } },
    });
  });

  it("changes routes only in the node subnets' route tables, and instance attributes only on the cluster's instances", () => {
    const routes = statementWith('ec2:CreateRoute');
    expect(routes?.Action).toEqual(ROUTE_ACTIONS);
    const resources = asArray(routes?.Resource);
    expect(resources).toHaveLength(stack.nodes.vpc.publicSubnets.length);
    expect(JSON.stringify(resources)).toMatch(/:route-table\//);
    expect(statementWith('ec2:ModifyInstanceAttribute')).toEqual({
      Effect: 'Allow',
      Action: 'ec2:ModifyInstanceAttribute',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:${TEST_REGION}:`, { Ref: 'AWS::AccountId' }, ':instance/*']] },
      Condition: { StringEquals: { 'ec2:ResourceTag/zeroplane:cluster': CLUSTER } },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { Tags: Match.arrayWith([{ Key: 'zeroplane:cluster', Value: CLUSTER, PropagateAtLaunch: true }]) });
  });

  it('gives no other role any ELBv2 or EC2 permission', () => {
    const others = (['apiserver', 'dispatch', 'controllers'] as const).flatMap((name) => statementsOf(logicalId(stack.functions[name].role)));
    expect(others.flatMap((s) => asArray(s.Action)).filter((a) => /^(elasticloadbalancing|ec2):/.test(a))).toEqual([]);
  });
});

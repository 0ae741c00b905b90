import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  LoadBalancerNotFoundException,
  RegisterTargetsCommand,
  ResourceInUseException,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsLoadBalancerProvider, loadBalancerName, targetGroupName } from '../../../../functions/cloud/aws/elbv2-load-balancers.ts';
import type { LoadBalancerSpec } from '../../../../functions/cloud/load-balancer-provider.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const CLUSTER = 'dev';
const VPC = 'vpc-1';
const SERVICE = { namespace: 'default', name: 'web', uid: '0b6a4d1e-1111-2222-3333-444455556666' };
const LB_NAME = loadBalancerName(CLUSTER, SERVICE.uid);
const LB_ARN = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/${LB_NAME}/abc`;
const DNS = `${LB_NAME}-abc.elb.eu-west-1.amazonaws.com`;
const HTTP = { name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targetPort: 8080 } as const;
const TG_NAME = targetGroupName(CLUSTER, SERVICE.uid, HTTP);
const TG_ARN = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${TG_NAME}/def`;
const LISTENER_ARN = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/${LB_NAME}/abc/l80`;
const TAGS = [
  { Key: 'zeroplane:cluster', Value: CLUSTER },
  { Key: 'zeroplane:service-uid', Value: SERVICE.uid },
  { Key: 'kubernetes.io/service-name', Value: 'default/web' },
  { Key: 'kubernetes.io/cluster/dev', Value: 'owned' },
];
const target = (id: string) => ({ nodeName: id, instanceId: id, zone: 'eu-west-1a' });
const SPEC: LoadBalancerSpec = { service: SERVICE, scheme: 'internet-facing', ports: [HTTP], targets: [target('i-a'), target('i-b')] };
const LB: LoadBalancer = { LoadBalancerArn: LB_ARN, LoadBalancerName: LB_NAME, DNSName: DNS, Scheme: 'internet-facing', Type: 'network', VpcId: VPC };
const TG: TargetGroup = { TargetGroupArn: TG_ARN, TargetGroupName: TG_NAME, Port: 30080, Protocol: 'TCP', VpcId: VPC };
const LISTENER: Listener = { ListenerArn: LISTENER_ARN, Port: 80, Protocol: 'TCP', DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }] };

const provider = () => new AwsLoadBalancerProvider({ client: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }), clusterName: CLUSTER, vpcId: VPC, subnetIds: ['subnet-a', 'subnet-b'] });
const inputs = (command: Parameters<typeof elb.commandCalls>[0]) => elb.commandCalls(command).map((c) => c.args[0].input);
const notFound = () => new LoadBalancerNotFoundException({ message: 'not found', $metadata: {} });
const WRITES = new Set([CreateLoadBalancerCommand, CreateTargetGroupCommand, CreateListenerCommand, DeleteListenerCommand, DeleteTargetGroupCommand, DeleteLoadBalancerCommand, RegisterTargetsCommand, DeregisterTargetsCommand].map((c) => c.name));
/** Every mutating call, in the order it was made. */
const writes = () => elb.calls().map((call) => call.args[0].constructor.name).filter((name) => WRITES.has(name));

/** The load balancer in place with its listener, target group and the given registered instances. */
function existing(registered: { id: string; state?: string }[]) {
  elb.on(DescribeLoadBalancersCommand, { Names: [LB_NAME] }).resolves({ LoadBalancers: [LB] });
  elb.on(DescribeListenersCommand).resolves({ Listeners: [LISTENER] });
  elb.on(DescribeTargetGroupsCommand, { LoadBalancerArn: LB_ARN }).resolves({ TargetGroups: [TG] });
  elb.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: registered.map((r) => ({ Target: { Id: r.id, Port: 30080 }, TargetHealth: { State: (r.state ?? 'healthy') as 'healthy' } })),
  });
}

beforeEach(() => {
  elb.reset();
});

describe('Class: AwsLoadBalancerProvider', () => {
  describe('ensure', () => {
    it('creates the network load balancer, a TCP instance target group at the NodePort, a listener and the targets', async () => {
      elb.on(DescribeLoadBalancersCommand).rejects(notFound());
      elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [LB] });
      elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
      elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
      elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [TG] });
      elb.on(CreateListenerCommand).resolves({ Listeners: [LISTENER] });
      elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });

      await expect(provider().ensure(SPEC)).resolves.toEqual([{ hostname: DNS }]);

      expect(inputs(DescribeLoadBalancersCommand)).toEqual([{ Names: [LB_NAME] }]);
      expect(inputs(CreateLoadBalancerCommand)).toEqual([
        { Name: LB_NAME, Type: 'network', Scheme: 'internet-facing', IpAddressType: 'ipv4', Subnets: ['subnet-a', 'subnet-b'], Tags: TAGS },
      ]);
      expect(inputs(CreateTargetGroupCommand)).toEqual([
        { Name: TG_NAME, Protocol: 'TCP', Port: 30080, VpcId: VPC, TargetType: 'instance', HealthCheckProtocol: 'TCP', HealthCheckPort: 'traffic-port', Tags: TAGS },
      ]);
      expect(inputs(CreateListenerCommand)).toEqual([
        { LoadBalancerArn: LB_ARN, Protocol: 'TCP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }], Tags: TAGS },
      ]);
      expect(inputs(RegisterTargetsCommand)).toEqual([{ TargetGroupArn: TG_ARN, Targets: [{ Id: 'i-a' }, { Id: 'i-b' }] }]);
      expect(inputs(DeregisterTargetsCommand)).toEqual([]);
      expect(LB_NAME).toMatch(/^zp-[0-9a-f]{29}$/);
      expect(TG_NAME).toHaveLength(32);
    });

    it('changes nothing when everything is in step', async () => {
      existing([{ id: 'i-a' }, { id: 'i-b' }]);
      await expect(provider().ensure(SPEC)).resolves.toEqual([{ hostname: DNS }]);
      expect(writes()).toEqual([]);
    });

    it('registers a new Ready node and deregisters one that left, re-registering a draining one that is wanted', async () => {
      existing([{ id: 'i-a', state: 'draining' }, { id: 'i-old' }]);
      await provider().ensure(SPEC);
      expect(inputs(RegisterTargetsCommand)).toEqual([{ TargetGroupArn: TG_ARN, Targets: [{ Id: 'i-a' }, { Id: 'i-b' }] }]);
      expect(inputs(DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: TG_ARN, Targets: [{ Id: 'i-old' }] }]);
    });

    it('moves a port whose NodePort changed to a new target group and deletes the old one after its listener', async () => {
      existing([]);
      const moved = { ...HTTP, nodePort: 31000 };
      const newName = targetGroupName(CLUSTER, SERVICE.uid, moved);
      const newArn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${newName}/new`;
      elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [{ ...TG, TargetGroupArn: newArn, TargetGroupName: newName, Port: 31000 }] });
      elb.on(CreateListenerCommand).resolves({});
      await provider().ensure({ ...SPEC, ports: [moved], targets: [] });
      expect(inputs(CreateTargetGroupCommand).map((i) => [i.Name, i.Port])).toEqual([[newName, 31000]]);
      expect(inputs(DeleteListenerCommand)).toEqual([{ ListenerArn: LISTENER_ARN }]);
      expect(inputs(CreateListenerCommand).map((i) => i.DefaultActions)).toEqual([[{ Type: 'forward', TargetGroupArn: newArn }]]);
      expect(inputs(DeleteTargetGroupCommand)).toEqual([{ TargetGroupArn: TG_ARN }]);
      // The port's old listener goes before its new one is created (one listener per port), the old group last.
      expect(writes()).toEqual(['CreateTargetGroupCommand', 'DeleteListenerCommand', 'CreateListenerCommand', 'DeleteTargetGroupCommand']);
    });

    it('replaces a load balancer whose scheme changed (the scheme is immutable)', async () => {
      elb.on(DescribeLoadBalancersCommand, { Names: [LB_NAME] }).resolves({ LoadBalancers: [LB] });
      elb.on(DescribeTargetGroupsCommand, { PageSize: 400 }).resolves({ TargetGroups: [TG] });
      elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: TG_ARN, Tags: TAGS }] });
      elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [{ ...LB, Scheme: 'internal', DNSName: `internal-${DNS}` }] });
      elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
      elb.on(DescribeTargetGroupsCommand, { LoadBalancerArn: LB_ARN }).resolves({ TargetGroups: [] });
      elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [TG] });
      elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });

      await expect(provider().ensure({ ...SPEC, scheme: 'internal' })).resolves.toEqual([{ hostname: `internal-${DNS}` }]);
      expect(inputs(DeleteLoadBalancerCommand)).toEqual([{ LoadBalancerArn: LB_ARN }]);
      expect(inputs(CreateLoadBalancerCommand).map((i) => i.Scheme)).toEqual(['internal']);
    });
  });

  describe('delete', () => {
    const OTHER_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/zp-other/1';
    const FOREIGN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/someone-else/2';
    const listing = () => {
      elb.on(DescribeTargetGroupsCommand, { PageSize: 400 }).resolves({
        TargetGroups: [TG, { TargetGroupArn: OTHER_TG, TargetGroupName: 'zp-other', VpcId: VPC }, { TargetGroupArn: FOREIGN_TG, TargetGroupName: 'someone-else', VpcId: VPC }],
      });
      elb.on(DescribeTagsCommand).resolves({
        TagDescriptions: [
          { ResourceArn: TG_ARN, Tags: TAGS },
          { ResourceArn: OTHER_TG, Tags: [{ Key: 'zeroplane:cluster', Value: CLUSTER }, { Key: 'zeroplane:service-uid', Value: 'another' }] },
        ],
      });
    };

    it('deletes the load balancer, then the target groups tagged with the Service', async () => {
      elb.on(DescribeLoadBalancersCommand, { Names: [LB_NAME] }).resolves({ LoadBalancers: [LB] });
      listing();
      await provider().delete(SERVICE);
      expect(inputs(DescribeTagsCommand)).toEqual([{ ResourceArns: [TG_ARN, OTHER_TG] }]);
      expect(inputs(DeleteLoadBalancerCommand)).toEqual([{ LoadBalancerArn: LB_ARN }]);
      expect(inputs(DeleteTargetGroupCommand)).toEqual([{ TargetGroupArn: TG_ARN }]);
    });

    it('fails while a target group is still in use, and finishes on the retry once the load balancer is gone', async () => {
      elb.on(DescribeLoadBalancersCommand, { Names: [LB_NAME] }).resolvesOnce({ LoadBalancers: [LB] }).rejects(notFound());
      listing();
      elb.on(DeleteTargetGroupCommand).rejectsOnce(new ResourceInUseException({ message: 'in use', $metadata: {} })).resolves({});

      await expect(provider().delete(SERVICE)).rejects.toThrow('in use');
      await provider().delete(SERVICE);

      expect(inputs(DeleteLoadBalancerCommand)).toEqual([{ LoadBalancerArn: LB_ARN }]);
      expect(inputs(DeleteTargetGroupCommand)).toEqual([{ TargetGroupArn: TG_ARN }, { TargetGroupArn: TG_ARN }]);
    });

    it('is done at once when nothing is left', async () => {
      elb.on(DescribeLoadBalancersCommand).rejects(notFound());
      elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
      await provider().delete(SERVICE);
      expect(writes()).toEqual([]);
    });
  });

  describe('list', () => {
    it("names the Services of this cluster's network load balancers, from their tags", async () => {
      const mine = { ...LB };
      const otherCluster = { ...LB, LoadBalancerArn: 'arn:other', LoadBalancerName: 'zp-othercluster' };
      const application: LoadBalancer = { ...LB, LoadBalancerArn: 'arn:alb', Type: 'application' };
      elb.on(DescribeLoadBalancersCommand, { PageSize: 400 }).resolvesOnce({ LoadBalancers: [mine], NextMarker: 'm2' }).resolves({ LoadBalancers: [otherCluster, application] });
      elb.on(DescribeTagsCommand).resolves({
        TagDescriptions: [
          { ResourceArn: LB_ARN, Tags: TAGS },
          { ResourceArn: 'arn:other', Tags: [{ Key: 'zeroplane:cluster', Value: 'prod' }, { Key: 'zeroplane:service-uid', Value: 'x' }] },
        ],
      });
      await expect(provider().list()).resolves.toEqual([SERVICE]);
      expect(inputs(DescribeLoadBalancersCommand)).toEqual([{ Marker: undefined, PageSize: 400 }, { Marker: 'm2', PageSize: 400 }]);
      expect(inputs(DescribeTagsCommand)).toEqual([{ ResourceArns: [LB_ARN, 'arn:other'] }]);
    });
  });
});

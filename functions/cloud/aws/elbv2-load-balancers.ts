/**
 * LoadBalancerProvider on AWS: one network load balancer per Service, one target group per Service port (TCP or
 * UDP, target type instance, the Ready nodes' instances at the port's NodePort) and one listener per port.
 *
 * Names are hashes (`zp-` + 29 hex digits of sha256): ELBv2 allows 32 characters, and a name derived from the cluster
 * and the Service uid (plus port, protocol and NodePort for a target group) lets every step find what an earlier,
 * interrupted step created. A changed NodePort gives a new target group name: a target group's port is fixed.
 * Everything created is tagged with the cluster and the Service (uid and namespace/name): the IAM policy only lets
 * the controller change resources carrying its cluster's tag, and delete()/list() find leftovers by those tags.
 */
import { createHash } from 'node:crypto';
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
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type Tag,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancerIngress, LoadBalancerPort, LoadBalancerProvider, LoadBalancerSpec, ServiceIdentity } from '../load-balancer-provider.ts';

export const CLUSTER_TAG = 'zeroplane:cluster';
export const SERVICE_UID_TAG = 'zeroplane:service-uid';
export const SERVICE_NAME_TAG = 'kubernetes.io/service-name';

const NAME_PREFIX = 'zp-';
/** DescribeTags takes at most 20 ARNs. */
const TAGS_PER_CALL = 20;

export interface AwsLoadBalancerOptions {
  client: ElasticLoadBalancingV2Client;
  clusterName: string;
  vpcId: string;
  /** Where the load balancers get their nodes (one per zone): the worker nodes' subnets. */
  subnetIds: string[];
}

function hashName(...parts: string[]): string {
  return NAME_PREFIX + createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32 - NAME_PREFIX.length);
}

export function loadBalancerName(clusterName: string, uid: string): string {
  return hashName(clusterName, uid);
}

export function targetGroupName(clusterName: string, uid: string, port: Pick<LoadBalancerPort, 'protocol' | 'port' | 'nodePort'>): string {
  return hashName(clusterName, uid, port.protocol, String(port.port), String(port.nodePort));
}

export function resourceTags(clusterName: string, service: ServiceIdentity): Tag[] {
  return [
    { Key: CLUSTER_TAG, Value: clusterName },
    { Key: SERVICE_UID_TAG, Value: service.uid },
    { Key: SERVICE_NAME_TAG, Value: `${service.namespace}/${service.name}` },
    { Key: `kubernetes.io/cluster/${clusterName}`, Value: 'owned' },
  ];
}

function isAwsError(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class AwsLoadBalancerProvider implements LoadBalancerProvider {
  constructor(private readonly options: AwsLoadBalancerOptions) {}

  private get client(): ElasticLoadBalancingV2Client {
    return this.options.client;
  }

  async ensure(spec: LoadBalancerSpec): Promise<LoadBalancerIngress[]> {
    const { clusterName } = this.options;
    const tags = resourceTags(clusterName, spec.service);
    let lb = await this.findLoadBalancer(spec.service.uid);
    if (lb && lb.Scheme !== spec.scheme) {
      // The scheme cannot be changed in place: replace the load balancer (its DNS name changes with it).
      await this.deleteLoadBalancerAndTargetGroups(lb, spec.service.uid);
      lb = undefined;
    }
    if (!lb) {
      const created = await this.client.send(
        new CreateLoadBalancerCommand({
          Name: loadBalancerName(clusterName, spec.service.uid),
          Type: 'network',
          Scheme: spec.scheme,
          IpAddressType: 'ipv4',
          Subnets: this.options.subnetIds,
          Tags: tags,
        }),
      );
      lb = created.LoadBalancers?.[0];
      if (!lb?.LoadBalancerArn) throw new Error('CreateLoadBalancer returned no load balancer');
    }
    const lbArn = lb.LoadBalancerArn!;

    const [listeners, attached] = await Promise.all([
      this.client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn })).then((r) => r.Listeners ?? []),
      this.client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn })).then((r) => r.TargetGroups ?? []),
    ]);
    const byName = new Map(attached.map((tg) => [tg.TargetGroupName, tg]));
    const wanted = new Map<string, { port: LoadBalancerPort; group: TargetGroup }>();
    for (const port of spec.ports) {
      const name = targetGroupName(clusterName, spec.service.uid, port);
      const group = byName.get(name) ?? (await this.createTargetGroup(name, port, tags));
      wanted.set(`${port.protocol}/${port.port}`, { port, group });
    }

    // Listeners: keep those that forward the right port to the right group; replace or remove the others.
    const kept = new Set<string>();
    for (const listener of listeners) {
      const want = wanted.get(`${listener.Protocol}/${listener.Port}`);
      const forwardsTo = listener.DefaultActions?.find((a) => a.Type === 'forward')?.TargetGroupArn;
      if (want && forwardsTo === want.group.TargetGroupArn && !kept.has(`${listener.Protocol}/${listener.Port}`)) {
        kept.add(`${listener.Protocol}/${listener.Port}`);
        continue;
      }
      await this.client.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn }));
    }
    for (const [id, { port, group }] of wanted) {
      if (kept.has(id)) continue;
      await this.client.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: port.protocol,
          Port: port.port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: group.TargetGroupArn }],
          Tags: tags,
        }),
      );
    }
    // Groups of ports that went away (or whose NodePort changed): free now that no listener uses them.
    const wantedArns = new Set([...wanted.values()].map((w) => w.group.TargetGroupArn));
    for (const group of attached) {
      if (!wantedArns.has(group.TargetGroupArn)) await this.client.send(new DeleteTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn }));
    }

    const instances = spec.targets.map((t) => t.instanceId);
    for (const { group } of wanted.values()) await this.syncTargets(group.TargetGroupArn!, instances);
    return lb.DNSName ? [{ hostname: lb.DNSName }] : [];
  }

  async delete(service: ServiceIdentity): Promise<void> {
    const lb = await this.findLoadBalancer(service.uid);
    if (lb) await this.deleteLoadBalancerAndTargetGroups(lb, service.uid);
    else await this.deleteTargetGroups(await this.ownedTargetGroups(service.uid));
  }

  async list(): Promise<ServiceIdentity[]> {
    const all: LoadBalancer[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeLoadBalancersCommand({ Marker: marker, PageSize: 400 }));
      all.push(...(page.LoadBalancers ?? []).filter((lb) => lb.Type === 'network' && lb.LoadBalancerName?.startsWith(NAME_PREFIX) && lb.VpcId === this.options.vpcId));
      marker = page.NextMarker;
    } while (marker);
    const out: ServiceIdentity[] = [];
    for (const tags of (await this.tagsOf(all.map((lb) => lb.LoadBalancerArn!))).values()) {
      if (tags.get(CLUSTER_TAG) !== this.options.clusterName) continue;
      const uid = tags.get(SERVICE_UID_TAG);
      const [namespace, name] = (tags.get(SERVICE_NAME_TAG) ?? '/').split('/');
      if (uid) out.push({ namespace, name, uid });
    }
    return out;
  }

  private async findLoadBalancer(uid: string): Promise<LoadBalancer | undefined> {
    try {
      const out = await this.client.send(new DescribeLoadBalancersCommand({ Names: [loadBalancerName(this.options.clusterName, uid)] }));
      return out.LoadBalancers?.[0];
    } catch (err) {
      if (isAwsError(err, 'LoadBalancerNotFoundException')) return undefined;
      throw err;
    }
  }

  private async createTargetGroup(name: string, port: LoadBalancerPort, tags: Tag[]): Promise<TargetGroup> {
    const out = await this.client.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: port.protocol,
        Port: port.nodePort,
        VpcId: this.options.vpcId,
        TargetType: 'instance',
        // A node answers on every NodePort whether or not it runs one of the Service's pods (kube-proxy's
        // externalTrafficPolicy: Cluster), so a TCP connect is the health that matters.
        HealthCheckProtocol: 'TCP',
        HealthCheckPort: 'traffic-port',
        Tags: tags,
      }),
    );
    const group = out.TargetGroups?.[0];
    if (!group?.TargetGroupArn) throw new Error(`CreateTargetGroup ${name} returned no target group`);
    return group;
  }

  private async syncTargets(targetGroupArn: string, instanceIds: string[]): Promise<void> {
    const health = await this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    // A draining target is on its way out: if it is wanted again it must be registered again.
    const registered = new Set(
      (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State !== 'draining').map((d) => d.Target?.Id).filter((id): id is string => Boolean(id)),
    );
    const want = new Set(instanceIds);
    const add = instanceIds.filter((id) => !registered.has(id));
    const remove = [...registered].filter((id) => !want.has(id)).sort();
    if (add.length) await this.client.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: add.map((Id) => ({ Id })) }));
    if (remove.length) await this.client.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: remove.map((Id) => ({ Id })) }));
  }

  /**
   * The load balancer goes first (its listeners with it), then every target group tagged with the Service. A group
   * still in use right after (ResourceInUse while the deletion settles) throws: the caller retries, and the next
   * attempt finds the groups by their tags although the load balancer no longer exists.
   */
  private async deleteLoadBalancerAndTargetGroups(lb: LoadBalancer, uid: string): Promise<void> {
    const groups = await this.ownedTargetGroups(uid);
    await this.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    await this.deleteTargetGroups(groups);
  }

  private async deleteTargetGroups(arns: string[]): Promise<void> {
    for (const arn of arns) {
      try {
        await this.client.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
      } catch (err) {
        if (!isAwsError(err, 'TargetGroupNotFoundException')) throw err;
      }
    }
  }

  /** Target groups of this cluster's VPC tagged with the Service's uid (attached to a listener or not). */
  private async ownedTargetGroups(uid: string): Promise<string[]> {
    const candidates: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeTargetGroupsCommand({ Marker: marker, PageSize: 400 }));
      for (const tg of page.TargetGroups ?? []) {
        if (tg.TargetGroupName?.startsWith(NAME_PREFIX) && tg.VpcId === this.options.vpcId && tg.TargetGroupArn) candidates.push(tg.TargetGroupArn);
      }
      marker = page.NextMarker;
    } while (marker);
    const out: string[] = [];
    for (const [arn, tags] of await this.tagsOf(candidates)) {
      if (tags.get(CLUSTER_TAG) === this.options.clusterName && tags.get(SERVICE_UID_TAG) === uid) out.push(arn);
    }
    return out;
  }

  private async tagsOf(arns: string[]): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (const chunk of chunks(arns, TAGS_PER_CALL)) {
      const described = await this.client.send(new DescribeTagsCommand({ ResourceArns: chunk }));
      for (const d of described.TagDescriptions ?? []) {
        if (d.ResourceArn) out.set(d.ResourceArn, new Map((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
      }
    }
    return out;
  }
}

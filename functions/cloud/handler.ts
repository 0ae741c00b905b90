/**
 * The cloud controllers' queue consumer (the `cloud` FIFO queue): load balancers for Services, and — where there is
 * a VPC — Node ↔ instance lifecycle and pod routes. It is its own Lambda (cdk/lambda-functions.ts) so that only this
 * role holds ELBv2 and EC2 permissions. Locally the same handler runs with the TCP-forwarder provider and no EC2
 * (local/control-plane.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { pino, type Logger } from 'pino';
import { createRegistryApi, type ClusterApi } from '../controllers/api-port.ts';
import { Requeuer } from '../controllers/handler.ts';
import { controllerReconcilers, type ControllerRegistration, type RunnerEnv } from '../controllers/runner.ts';
import { queueSenderFromEnv, sendControllerKeys, type QueueSenderDeps } from '../dispatch/queue-sender.ts';
import { makeControllerHandler } from '../pipeline/controller-handler.ts';
import { BROADCAST_KEYS, queueFor, ControllerNameSchema, type ControllerKey } from '../pipeline/queue-message.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { createDynamoStore } from '../store/dynamodb-store.ts';
import { AwsEc2 } from './aws/ec2-instances.ts';
import { AwsLoadBalancerProvider } from './aws/elbv2-load-balancers.ts';
import { cloudNodeController } from './cloud-node-controller.ts';
import type { Ec2Port } from './ec2-port.ts';
import { loadBalancerBroadcast, loadBalancerController } from './load-balancer-controller.ts';
import type { LoadBalancerProvider } from './load-balancer-provider.ts';
import { routeController } from './route-controller.ts';

export interface CloudHandlerDeps {
  store: ObjectStore;
  sender: QueueSenderDeps;
  loadBalancers: LoadBalancerProvider;
  /** EC2 (instances, routes). Absent locally: the node and route controllers then acknowledge their keys. */
  ec2?: Ec2Port;
  /** The cluster's pod range (the route controller's bounds). Required with ec2. */
  clusterPodCidr?: string;
  logger?: Logger;
  now?: () => Date;
  api?: ClusterApi;
}

export function cloudControllers(deps: Pick<CloudHandlerDeps, 'loadBalancers' | 'ec2' | 'clusterPodCidr'>): ControllerRegistration[] {
  const out = [loadBalancerController(deps.loadBalancers)];
  if (deps.ec2) {
    if (!deps.clusterPodCidr) throw new Error('the route controller needs the cluster pod range');
    out.push(cloudNodeController(deps.ec2), routeController(deps.ec2, deps.clusterPodCidr));
  }
  return out;
}

export function makeCloudHandler(deps: CloudHandlerDeps) {
  const logger = deps.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const send = async (keys: ControllerKey[], cause: string): Promise<void> => {
    const { failed } = await sendControllerKeys(deps.sender, keys.map((k) => ({ message: k, cause, tag: k })));
    if (failed.length) throw new Error(`could not send ${failed.length} controller keys`);
  };
  const requeuer = new Requeuer(send, logger);
  const env: RunnerEnv = {
    api: deps.api ?? createRegistryApi({ store: deps.store, fieldManager: 'cloud-controller-manager' }),
    now: deps.now ?? (() => new Date()),
    send,
    requeue: (key, delayMs) => requeuer.requeue(key, delayMs),
    logger,
  };
  const reconcilers = controllerReconcilers(env, cloudControllers(deps));
  const perService = reconcilers.loadbalancer!;
  const broadcast = loadBalancerBroadcast(deps.loadBalancers);
  reconcilers.loadbalancer = (key, context) => (key === BROADCAST_KEYS.all ? broadcast(env, context) : perService(key, context));
  // Without EC2 (locally) the resync still sends node and route keys to this queue: acknowledge them quietly.
  for (const name of ControllerNameSchema.options) {
    if (queueFor(name) === 'cloud' && !reconcilers[name]) reconcilers[name] = async (key) => logger.debug({ controller: name, key }, 'no cloud controller for this key here; acknowledged');
  }
  const handler = makeControllerHandler({ reconcilers, logger, name: 'cloud' });
  return Object.assign(handler, { stop: () => requeuer.stop(), env });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Production dependencies, from the variables the stack sets (cdk/constructs/cloud-controllers.ts): TABLE_PREFIX,
 * the queue URLs, CLUSTER_NAME, VPC_ID, SUBNET_IDS, ROUTE_TABLE_IDS and POD_CIDR.
 */
export function realDeps(env: NodeJS.ProcessEnv = process.env, logger: Logger = pino({ level: env.LOG_LEVEL ?? 'info' })): CloudHandlerDeps {
  const store = createDynamoStore({ client: new DynamoDBClient({}), tablePrefix: required(env, 'TABLE_PREFIX'), onError: (err) => logger.error({ err }, 'store background error') });
  const clusterName = required(env, 'CLUSTER_NAME');
  const vpcId = required(env, 'VPC_ID');
  return {
    store,
    sender: queueSenderFromEnv(env),
    logger,
    loadBalancers: new AwsLoadBalancerProvider({ client: new ElasticLoadBalancingV2Client({}), clusterName, vpcId, subnetIds: list(env.SUBNET_IDS) }),
    ec2: new AwsEc2({ client: new EC2Client({}), routeTableIds: list(env.ROUTE_TABLE_IDS) }),
    clusterPodCidr: required(env, 'POD_CIDR'),
  };
}

/** Built only inside Lambda, so importing this module elsewhere needs no environment. */
export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME ? makeCloudHandler(realDeps()) : undefined;

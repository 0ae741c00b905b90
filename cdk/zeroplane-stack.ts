/**
 * The `Zeroplane` stack: one whole cluster (API, store, pipeline, worker nodes). It only composes the constructs in
 * constructs/ (one per wiring) and hands each function exactly the grants its wirings need.
 */
import { CfnOutput, Stack, Token, type Duration, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { QUEUES, type QueueId } from '../shared/resources.ts';
import { overlappingCidrs } from './cidrs.ts';
import { ApiFront } from './constructs/api-front.ts';
import { ClusterKey } from './constructs/cluster-key.ts';
import { TokenSigningSecret } from './constructs/token-signing-secret.ts';
import { CloudControllers } from './constructs/cloud-controllers.ts';
import { ControllerQueues } from './constructs/controller-queues.ts';
import { Resync } from './constructs/resync.ts';
import { StateTables } from './constructs/state-tables.ts';
import { StreamDispatch } from './constructs/stream-dispatch.ts';
import { LEASE_RENEWALS_PER_DURATION, WorkerNodes } from './constructs/worker-nodes.ts';
import { ZeroplaneFunction } from './constructs/zeroplane-function.ts';
import {
  API_FUNCTION,
  DISPATCH_FUNCTION,
  LAMBDA_FUNCTIONS,
  QUEUE_CONSUMERS,
  RESYNC_FUNCTION,
  type LambdaFunctionSpec,
  type LambdaName,
} from './lambda-functions.ts';

/** `env.region` is required (a customer-managed key on TableV2 cannot be rendered region-agnostic). */
export interface ZeroplaneProps extends StackProps {
  /**
   * Names the cluster and prefixes its tables and queues (`<clusterName>-objects`, `<clusterName>-controllers.fifo`).
   * Lowercase letters, digits and dashes, 3–40 characters. Default `zeroplane`.
   */
  clusterName?: string;
  /** Worker node instance type; must be Graviton (arm64). Default `t4g.small` (2 vCPU, 2 GiB). */
  nodeInstanceType?: string;
  /** Auto Scaling group minimum. Default 1. */
  minNodes?: number;
  /** Auto Scaling group maximum. Default 3. */
  maxNodes?: number;
  /** ClusterIP range (the API allocates from it). Default `10.96.0.0/12`, Kubernetes' own default. */
  serviceCidr?: string;
  /** Pod range, split into one slice per node. Default `10.244.0.0/16`. */
  podCidr?: string;
  /** The VPC's range. Default `10.0.0.0/16`. Must overlap neither the service nor the pod range. */
  vpcCidr?: string;
  /** Sources allowed to reach the nodes' NodePorts. Default none (node-to-node only). */
  nodePortSourceCidrs?: string[];
  /** SHA-256 hex hashes of the admin bearer tokens the API accepts (TOKEN_HASHES). Default none. */
  adminTokenHashes?: string[];
  /** IAM users/roles that are cluster admins (system:masters) through `zeroplane kubeconfig --stack` (ADMIN_ARNS).
   *  Default none. */
  adminArns?: string[];
  /** How often the controllers resync everything. Default 5 minutes. */
  resyncInterval?: Duration;
  /** Retention of every log group. Default one month. */
  logRetention?: logs.RetentionDays;
  /** Per-function changes to cdk/lambda-functions.ts's memory and timeout (e.g. a bigger API). Default none. */
  functionOverrides?: Partial<Record<LambdaName, Partial<Pick<LambdaFunctionSpec, 'memorySizeMiB' | 'timeoutSeconds'>>>>;
  /** Each function's bundle (dist/lambda/<name> in the app; an inline asset in tests). Required. */
  lambdaCode: Record<LambdaName, lambda.Code>;
  /** Directory with the bundled node agent (dist/node-agent). Required. */
  nodeAgentPath: string;
}

export const ZEROPLANE_DEFAULTS = {
  clusterName: 'zeroplane',
  nodeInstanceType: 't4g.small',
  minNodes: 1,
  maxNodes: 3,
  serviceCidr: '10.96.0.0/12',
  podCidr: '10.244.0.0/16',
  vpcCidr: '10.0.0.0/16',
} as const;

export class ZeroplaneStack extends Stack {
  readonly functions: Record<LambdaName, ZeroplaneFunction>;
  readonly clusterKey: ClusterKey;
  readonly tables: StateTables;
  readonly queues: ControllerQueues;
  readonly api: ApiFront;
  readonly dispatch: StreamDispatch;
  readonly resync: Resync;
  readonly nodes: WorkerNodes;
  readonly cloud: CloudControllers;

  constructor(scope: Construct, id: string, props: ZeroplaneProps) {
    super(scope, id, props);
    if (Token.isUnresolved(this.region)) {
      // TableV2 renders its customer-managed-key settings per region; the account may stay agnostic.
      throw new Error('the Zeroplane stack needs a concrete region: pass env: { region }');
    }
    const clusterName = props.clusterName ?? ZEROPLANE_DEFAULTS.clusterName;
    if (!/^[a-z0-9-]{3,40}$/.test(clusterName)) {
      throw new Error(`clusterName ${JSON.stringify(clusterName)} must be 3–40 lowercase letters, digits or dashes`);
    }
    const cidrs = {
      vpcCidr: props.vpcCidr ?? ZEROPLANE_DEFAULTS.vpcCidr,
      podCidr: props.podCidr ?? ZEROPLANE_DEFAULTS.podCidr,
      serviceCidr: props.serviceCidr ?? ZEROPLANE_DEFAULTS.serviceCidr,
    };
    const overlaps = overlappingCidrs(cidrs);
    if (overlaps.length > 0) throw new Error(`address ranges overlap: ${overlaps.join('; ')}`);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const functions = {} as Record<LambdaName, ZeroplaneFunction>;
    for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaName[]) {
      functions[name] = new ZeroplaneFunction(this, name, {
        spec: { ...LAMBDA_FUNCTIONS[name], ...props.functionOverrides?.[name] },
        code: props.lambdaCode[name],
        logRetention,
        environment: { CLUSTER_NAME: clusterName },
      });
    }
    this.functions = functions;
    const api = functions[API_FUNCTION];
    const queueConsumers = [...new Set(Object.values(QUEUE_CONSUMERS))].map((name) => functions[name]);

    this.clusterKey = new ClusterKey(this, 'ClusterKey', { clusterName });
    this.tables = new StateTables(this, 'StateTables', { prefix: clusterName, encryptionKey: this.clusterKey.key });
    // Controllers and the resync go through the API core too (design invariant 4), but run it in their own
    // process rather than over HTTPS, so they need the same table grants as the API.
    for (const fn of new Set([api, ...queueConsumers, functions[RESYNC_FUNCTION]])) this.tables.grantReadWrite(fn);
    this.clusterKey.grantSecretsEncryption(api);
    new TokenSigningSecret(this, 'TokenSigning', { clusterName }).grantSigning(api);

    this.queues = new ControllerQueues(this, 'ControllerQueues', {
      prefix: clusterName,
      consumers: Object.fromEntries(
        (Object.keys(QUEUES) as QueueId[]).map((qid) => [qid, functions[QUEUE_CONSUMERS[qid]]]),
      ) as Record<QueueId, ZeroplaneFunction>,
    });
    // Dispatch turns changes into keys; consumers and the resync enqueue fan-out keys and requeues.
    for (const fn of new Set([functions[DISPATCH_FUNCTION], ...queueConsumers, functions[RESYNC_FUNCTION]])) this.queues.grantSend(fn);

    this.api = new ApiFront(this, 'ApiFront', { api });
    this.dispatch = new StreamDispatch(this, 'StreamDispatch', { tables: this.tables, dispatch: functions[DISPATCH_FUNCTION] });
    this.resync = new Resync(this, 'Resync', { target: functions[RESYNC_FUNCTION], interval: props.resyncInterval });

    this.nodes = new WorkerNodes(this, 'WorkerNodes', {
      clusterName,
      apiUrl: this.api.url.url,
      agentPath: props.nodeAgentPath,
      instanceType: props.nodeInstanceType ?? ZEROPLANE_DEFAULTS.nodeInstanceType,
      minNodes: props.minNodes ?? ZEROPLANE_DEFAULTS.minNodes,
      maxNodes: props.maxNodes ?? ZEROPLANE_DEFAULTS.maxNodes,
      nodePortSourceCidrs: props.nodePortSourceCidrs,
      logRetention,
      ...cidrs,
    });

    // The node lifecycle controller calls a node unknown once its Lease has gone unrenewed for a whole duration.
    const nodeGrace = String(this.nodes.heartbeatSeconds * LEASE_RENEWALS_PER_DURATION);
    for (const fn of new Set([...queueConsumers, functions[RESYNC_FUNCTION]])) fn.function.addEnvironment('NODE_GRACE_PERIOD_SECONDS', nodeGrace);

    this.cloud = new CloudControllers(this, 'CloudControllers', {
      fn: functions[QUEUE_CONSUMERS.cloud],
      clusterName,
      vpc: this.nodes.vpc,
      subnets: this.nodes.vpc.publicSubnets,
      podCidr: cidrs.podCidr,
      vpcCidr: cidrs.vpcCidr,
      nodeSecurityGroup: this.nodes.securityGroup,
    });

    api.function.addEnvironment('SERVICE_CIDR', cidrs.serviceCidr);
    api.function.addEnvironment('POD_CIDR', cidrs.podCidr);
    api.function.addEnvironment('TOKEN_HASHES', (props.adminTokenHashes ?? []).join(','));
    api.function.addEnvironment('NODE_ROLE_ARN', this.nodes.role.roleArn);
    api.function.addEnvironment('ADMIN_ARNS', (props.adminArns ?? []).join(','));

    new CfnOutput(this, 'ApiUrl', { value: this.api.url.url, description: 'The Kubernetes API server URL (kubeconfig `server`)' });
    new CfnOutput(this, 'ClusterName', { value: clusterName });
    new CfnOutput(this, 'NodeRoleArn', { value: this.nodes.role.roleArn, description: 'The IAM role that identifies worker nodes' });
  }
}

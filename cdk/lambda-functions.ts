/**
 * Which Lambda functions Zeroplane deploys, and which code runs on the worker nodes: data, so that adding a handler
 * is one line here (the bundler and the stack both read this record). Entry paths are relative to the repository
 * root; each entry must export `handler`.
 */
import type { QueueId } from '../shared/resources.ts';

export interface LambdaFunctionSpec {
  /** The module exporting `handler`. */
  entry: string;
  description: string;
  /** Default 256. The API gets more: its CPU share scales with memory and it parses every request. */
  memorySizeMiB: number;
  /**
   * The API's is the watch length (a watch is one invocation). A queue consumer's must not exceed the visibility
   * timeout of any queue it consumes (checked at synth), or a message would be redelivered while still in work.
   */
  timeoutSeconds: number;
}

export const LAMBDA_FUNCTIONS = {
  apiserver: {
    entry: 'functions/apiserver/handler.ts',
    description: 'Kubernetes API: reads, writes and watches (response streaming)',
    memorySizeMiB: 1024,
    timeoutSeconds: 900,
  },
  dispatch: {
    entry: 'functions/dispatch/handler.ts',
    description: 'DynamoDB stream of the objects table -> controller keys on the SQS queues',
    memorySizeMiB: 256,
    timeoutSeconds: 60,
  },
  controllers: {
    entry: 'functions/controllers/handler.ts',
    description: 'SQS controller keys -> reconcile; also the periodic resync',
    memorySizeMiB: 512,
    timeoutSeconds: 30,
  },
  cloud: {
    entry: 'functions/cloud/handler.ts',
    description: 'SQS cloud controller keys -> network load balancers, node instances, pod routes (ELBv2, EC2)',
    memorySizeMiB: 256,
    // ELBv2 and EC2 calls take a few hundred ms each; a first load balancer with two ports is about a dozen.
    timeoutSeconds: 90,
  },
} as const satisfies Record<string, LambdaFunctionSpec>;

export type LambdaName = keyof typeof LAMBDA_FUNCTIONS;

/** The function that serves the API behind the function URL. */
export const API_FUNCTION: LambdaName = 'apiserver';
/** The function that consumes the objects table's stream. */
export const DISPATCH_FUNCTION: LambdaName = 'dispatch';
/**
 * The consumer of each queue. One function may consume several queues (makeControllerHandler serves any
 * controller name); give a queue its own function when its work should scale or fail separately.
 */
export const QUEUE_CONSUMERS: Record<QueueId, LambdaName> = {
  scheduler: 'controllers',
  controllers: 'controllers',
  // Its own function: the only role with ELBv2 and EC2 permissions (cdk/constructs/cloud-controllers.ts).
  cloud: 'cloud',
};
/** The function the EventBridge resync schedule invokes (with EventBridge's "Scheduled Event"). */
export const RESYNC_FUNCTION: LambdaName = 'controllers';

/** The node agent: bundled with its dependencies (no AWS SDK on the node) and shipped to each node as an S3 asset. */
export const NODE_AGENT_ENTRY = 'node-agent/main.ts';

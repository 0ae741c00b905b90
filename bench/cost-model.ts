/**
 * What an idle Zeroplane cluster costs on AWS per month, from request counts measured on a local cluster and
 * public on-demand prices (us-east-1, arm64, as of November 2026). Pure: counts in, dollars out, every line named
 * so the note and docs/cost.md can show where each cent goes. The free tiers are shown separately, never assumed.
 */

export const SECONDS_PER_MONTH = 30.4 * 24 * 3600;

export const PRICES = {
  lambdaPerRequest: 0.2 / 1e6,
  /** arm64 */
  lambdaPerGbSecond: 0.0000133334,
  /** DynamoDB on demand (the November 2024 prices). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  /** FIFO queues */
  sqsPerRequest: 0.5 / 1e6,
  /** CloudWatch Logs ingestion, per GB. */
  logsPerGb: 0.5,
  /** Standard-resolution alarm, per month. */
  alarmPerMonth: 0.1,
  /** Customer-managed KMS key, per month. */
  kmsKeyPerMonth: 1,
  /** Secrets Manager secret, per month. */
  secretPerMonth: 0.4,
  /** EKS control plane, per cluster-month (standard support). */
  eksPerMonth: 0.1 * 730,
} as const;

/** What one Lambda invocation of a kind costs: its duration and memory. */
export interface InvocationProfile {
  count: number;
  /** Mean billed duration (ms, rounded up per invocation by Lambda to 1 ms). */
  meanMs: number;
  memoryMb: number;
}

export interface IdleWindow {
  /** Length of the measured window. */
  seconds: number;
  /** API function invocations (agent polls and heartbeats, kubectl) in the window. */
  api: InvocationProfile;
  /** Stream → dispatch invocations (records that passed the filter) in the window. */
  dispatch: InvocationProfile;
  /** Queue consumer invocations (controllers, scheduler, cloud) in the window, resync-driven ones included. */
  controllers: InvocationProfile;
  /** Resync schedule invocations in the window. */
  resync: InvocationProfile;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** Messages sent to the queues in the window (each is one send request; receipt and deletion are the poller's). */
  sqsMessages: number;
  /** Log bytes written by the functions in the window (Lambda adds ~260 bytes of START/END/REPORT per invocation). */
  logBytes: number;
}

export interface FixedSetup {
  /** Queues with a Lambda event source mapping (each is long-polled even when empty). */
  polledQueues: number;
  /** Idle pollers per mapping: Lambda scales an idle SQS mapping down to 2 (5 right after activity). */
  pollersPerQueue: number;
  /** CloudWatch alarms in the stack. */
  alarms: number;
  /** Customer-managed KMS keys in the stack. */
  kmsKeys: number;
  /** Secrets Manager secrets in the stack. */
  secrets: number;
  /** Seconds per month the API function holds open watches (agents in watch mode), at its memory. */
  heldWatchSeconds?: number;
  apiMemoryMb?: number;
}

export interface CostLine {
  item: string;
  monthly: number;
  detail: string;
}

const LONG_POLL_SECONDS = 20;
const LAMBDA_LOG_OVERHEAD_BYTES = 260;

function invocationCost(p: InvocationProfile, scale: number): number {
  const n = p.count * scale;
  return n * PRICES.lambdaPerRequest + n * (Math.ceil(p.meanMs) / 1000) * (p.memoryMb / 1024) * PRICES.lambdaPerGbSecond;
}

/** Monthly cost lines for the measured idle window scaled to a month, plus the fixed parts of the stack. */
export function monthlyIdleCost(window: IdleWindow, setup: FixedSetup): CostLine[] {
  const scale = SECONDS_PER_MONTH / window.seconds;
  const perMonth = (n: number) => Math.round(n * scale);
  const invocations = window.api.count + window.dispatch.count + window.controllers.count + window.resync.count;
  const pollRequests = setup.polledQueues * setup.pollersPerQueue * (SECONDS_PER_MONTH / LONG_POLL_SECONDS);
  const sendRequests = window.sqsMessages * scale;
  return [
    { item: 'API function (agents, kubectl)', monthly: invocationCost(window.api, scale), detail: `${perMonth(window.api.count).toLocaleString('en-US')} invocations × ${window.api.meanMs.toFixed(1)} ms × ${window.api.memoryMb} MB` },
    { item: 'dispatch function (stream)', monthly: invocationCost(window.dispatch, scale), detail: `${perMonth(window.dispatch.count).toLocaleString('en-US')} invocations × ${window.dispatch.meanMs.toFixed(1)} ms` },
    { item: 'controllers function (queues)', monthly: invocationCost(window.controllers, scale), detail: `${perMonth(window.controllers.count).toLocaleString('en-US')} invocations × ${window.controllers.meanMs.toFixed(1)} ms` },
    { item: 'resync schedule', monthly: invocationCost(window.resync, scale), detail: `${perMonth(window.resync.count).toLocaleString('en-US')} invocations (EventBridge scheduled rules are free)` },
    { item: 'DynamoDB writes', monthly: window.dynamoWriteUnits * scale * PRICES.dynamoPerWriteUnit, detail: `${perMonth(window.dynamoWriteUnits).toLocaleString('en-US')} write units` },
    { item: 'DynamoDB reads', monthly: window.dynamoReadUnits * scale * PRICES.dynamoPerReadUnit, detail: `${perMonth(window.dynamoReadUnits).toLocaleString('en-US')} read units` },
    { item: 'SQS sends', monthly: sendRequests * PRICES.sqsPerRequest, detail: `${Math.round(sendRequests).toLocaleString('en-US')} requests` },
    {
      item: 'SQS idle long polls (event source mappings)',
      monthly: pollRequests * PRICES.sqsPerRequest,
      detail: `${setup.polledQueues} queues × ${setup.pollersPerQueue} pollers × one 20 s poll = ${Math.round(pollRequests).toLocaleString('en-US')} requests`,
    },
    {
      item: 'CloudWatch Logs',
      monthly: ((window.logBytes + invocations * LAMBDA_LOG_OVERHEAD_BYTES) * scale * PRICES.logsPerGb) / 1e9,
      detail: `${(((window.logBytes + invocations * LAMBDA_LOG_OVERHEAD_BYTES) * scale) / 1e6).toFixed(1)} MB ingested`,
    },
    { item: 'CloudWatch alarms', monthly: setup.alarms * PRICES.alarmPerMonth, detail: `${setup.alarms} alarms (the first 10 are in the free tier)` },
    { item: 'KMS keys', monthly: setup.kmsKeys * PRICES.kmsKeyPerMonth, detail: `${setup.kmsKeys} customer-managed key (cluster state and Secrets at rest)` },
    { item: 'Secrets Manager', monthly: setup.secrets * PRICES.secretPerMonth, detail: `${setup.secrets} secret (the token signing key)` },
    {
      item: 'held watches (API function duration)',
      monthly: (setup.heldWatchSeconds ?? 0) * ((setup.apiMemoryMb ?? 1024) / 1024) * PRICES.lambdaPerGbSecond,
      detail: setup.heldWatchSeconds ? `${Math.round(setup.heldWatchSeconds).toLocaleString('en-US')} s of open watches` : 'none (agents poll)',
    },
  ];
}

export function total(lines: readonly CostLine[]): number {
  return lines.reduce((t, l) => t + l.monthly, 0);
}

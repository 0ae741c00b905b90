/**
 * Network-plane commands (`iptables-restore`, `ip`, `sysctl`) run in the node's network namespace: the host's
 * when `netns` is undefined (production), or a throwaway namespace in tests (`ip netns exec NS cmd …`), so that
 * one code path installs rules either way (local-stack.md §5).
 */
import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** A named namespace (`ip netns add NAME`); undefined means the agent's own (the host's). */
  netns?: string;
  /** Written to the command's stdin (iptables-restore's ruleset). */
  input?: string;
  timeoutMs?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim().slice(0, 2000)}`);
  }
}

/** The argv that runs `cmd args` inside `netns` (as is when there is none). */
export function inNetns(netns: string | undefined, argv: string[]): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
}

/** Runs a command to completion; a non-zero exit is a CommandError carrying its stderr. */
export function runCommand(argv: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const full = inNetns(options.netns, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(full, code, stderr));
    });
    // A command that exits before reading its input (bad flag) must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Sets a sysctl in the namespace (`net.ipv4.conf.all.route_localnet`); returns the previous value. */
export async function setSysctl(key: string, value: string, netns?: string): Promise<string> {
  const previous = (await runCommand(['sysctl', '-n', key], { netns })).stdout.trim();
  if (previous !== value) await runCommand(['sysctl', '-qw', `${key}=${value}`], { netns });
  return previous;
}

/**
 * Throwaway network namespaces and labelled containers for tests against the real kernel and dockerd
 * (local-stack.md §5). Names and labels carry the test process id, so a sweeper removes what a crashed run of
 * the same test file left behind without touching a live run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

const exec = promisify(execFile);

export async function sh(argv: string[], timeoutMs = 20_000): Promise<string> {
  const { stdout } = await exec(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20 });
  return stdout;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `zp-test-<tag>-<pid>`: unique per test file (vitest runs files in separate processes). */
export function netnsName(tag: string): string {
  return `zp-test-${tag}-${process.pid}`;
}

/** Deletes `zp-test-<tag>-<pid>` namespaces whose process is gone, then creates this process's one (lo up). */
export async function createNetns(tag: string): Promise<string> {
  const prefix = `zp-test-${tag}-`;
  const names = (await sh(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && !alive(pid)) await sh(['ip', 'netns', 'del', name]).catch(() => {});
  }
  const name = netnsName(tag);
  await sh(['ip', 'netns', 'add', name]);
  await sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export async function deleteNetns(name: string): Promise<void> {
  await sh(['ip', 'netns', 'del', name]).catch(() => {});
}

/** The labels every container of a test file carries: `zp-test=<tag>` and the owning process id. */
export function testLabels(tag: string): Record<string, string> {
  return { 'zp-test': tag, 'zp-test-pid': String(process.pid) };
}

/** Removes containers labelled `zp-test=<tag>`: all of this process's with `mine`, else only dead processes'. */
export async function sweepContainers(docker: Docker, tag: string, which: 'dead' | 'mine'): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`zp-test=${tag}`] } });
  const doomed = found.filter((c) => {
    const pid = Number(c.Labels['zp-test-pid']);
    return which === 'mine' ? pid === process.pid : !alive(pid);
  });
  await Promise.all(doomed.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  return doomed.length;
}

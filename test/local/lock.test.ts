import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError } from '../../local/lock.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zp-lock-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The PID of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('acquireDataDirLock', () => {
  it('writes our PID and removes the lock on release', async () => {
    const lock = await acquireDataDirLock(dataDir);
    expect((await readFile(lock.path, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses a data dir locked by a live process, naming its PID', async () => {
    // The parent of this test process is alive for the whole test.
    await writeFile(join(dataDir, 'zeroplane.lock'), `${process.ppid}\n`);
    const attempt = acquireDataDirLock(dataDir);
    await expect(attempt).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(acquireDataDirLock(dataDir)).rejects.toThrow(`another zeroplane (pid ${process.ppid}) is already running on data dir ${dataDir}`);
  });

  it('takes over a stale lock left by a dead process', async () => {
    await writeFile(join(dataDir, 'zeroplane.lock'), `${deadPid()}\n`);
    const lock = await acquireDataDirLock(dataDir);
    expect((await readFile(lock.path, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('does not remove a lock that another process has taken over since', async () => {
    const lock = await acquireDataDirLock(dataDir);
    await writeFile(lock.path, `${process.ppid}\n`);
    await lock.release();
    expect(existsSync(lock.path)).toBe(true);
  });
});

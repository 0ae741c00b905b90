/**
 * One `zeroplane up` per data dir: DynamoDB Local's files and the kubeconfig would otherwise be shared by two
 * servers. The lock is a file holding the owner's PID, created atomically (written aside, then hard-linked into
 * place, so nobody ever sees it empty); a lock left by a dead process (crash, kill -9) is taken over.
 */
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`another zeroplane (pid ${pid}) is already running on data dir ${dataDir}; stop it first or use another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDataDirLock(dataDir: string, pid: number = process.pid): Promise<DataDirLock> {
  const path = join(dataDir, 'zeroplane.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    const aside = `${path}.${pid}.${attempt}`;
    await writeFile(aside, `${pid}\n`);
    try {
      await link(aside, path);
      return {
        path,
        release: async () => {
          // Only remove our own lock: a later owner may have taken over a lock we were thought to have left.
          const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
          if (owner === pid) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(aside, { force: true });
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
    // Stale: its owner is gone.
    await rm(path, { force: true });
  }
  throw new Error(`could not acquire the lock ${path}`);
}

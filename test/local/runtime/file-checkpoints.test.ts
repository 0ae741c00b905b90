import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCheckpointStore } from '../../../local/runtime/file-checkpoints.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zp-ckpt-'));
  dirs.push(dir);
  return join(dir, 'sub', 'checkpoints.json');
}

describe('fileCheckpointStore', () => {
  it('keeps checkpoints across instances (a restarted runtime)', () => {
    const path = tempFile();
    const first = fileCheckpointStore(path);
    expect(first.get('shard-1')).toBeUndefined();
    first.set('shard-1', '000000000000000000042');
    first.set('shard-2', '000000000000000000007');
    const second = fileCheckpointStore(path);
    expect(second.get('shard-1')).toBe('000000000000000000042');
    expect(second.get('shard-2')).toBe('000000000000000000007');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ 'shard-1': '000000000000000000042', 'shard-2': '000000000000000000007' });
  });

  it('starts empty from a corrupt file rather than failing to start', () => {
    const path = tempFile();
    fileCheckpointStore(path).set('s', '1');
    writeFileSync(path, '{not json');
    expect(fileCheckpointStore(path).get('s')).toBeUndefined();
  });
});

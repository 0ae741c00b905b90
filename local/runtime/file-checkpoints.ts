/**
 * Stream checkpoints kept in a JSON file beside a persistent DynamoDB Local (`-dbPath`), so a restarted local
 * cluster resumes after the last handled record instead of replaying the stream or skipping what changed while it
 * was down. Written via a temporary file and rename, so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CheckpointStore } from './stream-poller.ts';

const CheckpointFileSchema = z.record(z.string(), z.string().regex(/^\d+$/));

export function fileCheckpointStore(path: string): CheckpointStore {
  let saved: Record<string, string> = {};
  try {
    saved = CheckpointFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    // No file yet (first start) is normal; a corrupt one is treated the same: start from the stream's position.
    saved = {};
  }
  return {
    get: (shardId) => saved[shardId],
    set: (shardId, sequenceNumber) => {
      saved = { ...saved, [shardId]: sequenceNumber };
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(saved));
      renameSync(tmp, path);
    },
  };
}

/**
 * Where the token signing key comes from: a 32-byte random file in the data dir locally (created on first use,
 * 0600), the SecretString of a Secrets Manager secret on AWS (CDK's generated secret). Loaded once, lazily, so a
 * Lambda cold start that serves only admin requests never calls Secrets Manager.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export type KeySource = () => Promise<Buffer>;

/** Memoizes a key source: one load per process; a failed load is retried on the next call. */
export function cachedKey(load: KeySource): KeySource {
  let pending: Promise<Buffer> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** A random key kept in `path` (hex, 0600), created on first use. */
export function fileKey(path: string): KeySource {
  return cachedKey(async () => {
    if (existsSync(path)) {
      const text = (await readFile(path, 'utf8')).trim();
      if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
      throw new Error(`${path} does not hold a 32-byte hex key`);
    }
    await mkdir(dirname(path), { recursive: true });
    const key = randomBytes(32);
    await writeFile(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await chmod(path, 0o600);
    // Another process may have won the race to create it: the file is the truth.
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  });
}

/** The SecretString of a Secrets Manager secret, as key bytes (UTF-8). */
export function secretsManagerKey(client: SecretsManagerClient, secretId: string): KeySource {
  return cachedKey(async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString || out.SecretString.length < 32) throw new Error(`secret ${secretId} has no SecretString of at least 32 characters`);
    return Buffer.from(out.SecretString, 'utf8');
  });
}

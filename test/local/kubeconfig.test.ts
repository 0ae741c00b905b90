import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureAdminToken, renderKubeconfig, tokenHash, writeKubeconfig } from '../../local/kubeconfig.ts';
import { readKubeconfig } from '../support/cluster.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zp-kc-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const caCertPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('ensureAdminToken', () => {
  it('generates a random token once and returns the same one afterwards', async () => {
    const token = await ensureAdminToken(dataDir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await ensureAdminToken(dataDir)).toBe(token);
    expect((await stat(join(dataDir, 'admin-token'))).mode & 0o777).toBe(0o600);
    const other = await mkdtemp(join(tmpdir(), 'zp-kc-'));
    expect(await ensureAdminToken(other)).not.toBe(token);
    await rm(other, { recursive: true, force: true });
  });
});

describe('tokenHash', () => {
  it('is the hex sha256 of the token', () => {
    expect(tokenHash('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });
});

describe('renderKubeconfig', () => {
  it('names cluster, user and context and carries the CA data, not insecure-skip-tls-verify', () => {
    const kc = parse(renderKubeconfig({ server: 'https://127.0.0.1:6443', caCertPem, token: 't0k' }));
    expect(kc).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'zeroplane',
      clusters: [{ name: 'zeroplane', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
      users: [{ name: 'admin', user: { token: 't0k' } }],
      contexts: [{ name: 'zeroplane', context: { cluster: 'zeroplane', user: 'admin' } }],
    });
    expect(JSON.stringify(kc)).not.toContain('insecure-skip-tls-verify');
  });
});

describe('writeKubeconfig', () => {
  it('writes <data-dir>/kubeconfig (0600) that the test support reads back', async () => {
    const path = await writeKubeconfig(dataDir, { server: 'https://127.0.0.1:7443', caCertPem, token: 'secret' });
    expect(path).toBe(join(dataDir, 'kubeconfig'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const access = readKubeconfig(path);
    expect(access).toEqual({ server: 'https://127.0.0.1:7443', token: 'secret', ca: Buffer.from(caCertPem) });
    expect(await readFile(path, 'utf8')).toContain('current-context: zeroplane');
  });
});

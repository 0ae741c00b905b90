import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTls, tlsDir } from '../../local/tls.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zp-tls-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('ensureTls', () => {
  it('creates a CA and a server certificate for 127.0.0.1 and localhost signed by it', async () => {
    const tls = await ensureTls(dataDir);
    const ca = new X509Certificate(tls.caCertPem);
    const server = new X509Certificate(tls.serverCertPem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(tls.serverKeyPem)))).toBe(true);
  });

  it('keeps the CA across calls so earlier kubeconfigs stay valid', async () => {
    const first = await ensureTls(dataDir);
    const second = await ensureTls(dataDir);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).toBe(first.serverCertPem);
  });

  it('re-issues a missing server certificate from the same CA', async () => {
    const first = await ensureTls(dataDir);
    await rm(join(tlsDir(dataDir), 'server.crt'));
    const second = await ensureTls(dataDir);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).not.toBe(first.serverCertPem);
    expect(new X509Certificate(second.serverCertPem).checkIssued(new X509Certificate(first.caCertPem))).toBe(true);
  });

  it('re-issues the server certificate when it is close to expiry', async () => {
    const first = await ensureTls(dataDir);
    const later = new Date(Date.now() + 340 * 24 * 3600 * 1000);
    const second = await ensureTls(dataDir, later);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).not.toBe(first.serverCertPem);
  });

  it('keeps private keys readable by the owner only', async () => {
    await ensureTls(dataDir);
    const { stat } = await import('node:fs/promises');
    for (const key of ['ca.key', 'server.key']) {
      expect((await stat(join(tlsDir(dataDir), key))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(join(tlsDir(dataDir), 'ca.key'), 'utf8')).toMatch(/BEGIN RSA PRIVATE KEY/);
  });
});

/**
 * The API's client certificate for node servers (apiserver's `--kubelet-client-certificate`): issued by the local
 * cluster CA in `<data-dir>/tls/` and kept there beside it; re-issued when missing, near expiry or not signed by
 * the current CA. Node agents trust it through the CA certificate alone (node-agent/node-server/auth.ts).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { NODE_CLIENT_COMMON_NAME } from '../node-agent/node-server/auth.ts';
import { tlsDir } from './tls.ts';

export interface ClientCert {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;
const VALIDITY_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;

/** A clientAuth certificate for `commonName`, signed by the given CA. */
export function issueClientCert(caCertPem: string, caKeyPem: string, commonName: string, now = new Date()): ClientCert {
  const ca = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  // Node's native RSA generator: node-forge's pure-JS one takes seconds.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
  cert.validity.notAfter = new Date(now.getTime() + VALIDITY_DAYS * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Zeroplane' }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

function usable(certPem: string, caCertPem: string, now: Date): boolean {
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    if (cert.validity.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return false;
    return forge.pki.certificateFromPem(caCertPem).verify(cert);
  } catch {
    return false;
  }
}

/** Loads or issues `<data-dir>/tls/node-client.{crt,key}`; the CA must exist (ensureTls runs first). */
export async function ensureNodeClientCert(dataDir: string, now = new Date()): Promise<ClientCert> {
  const dir = tlsDir(dataDir);
  const certPath = join(dir, 'node-client.crt');
  const keyPath = join(dir, 'node-client.key');
  const caCertPem = await readFile(join(dir, 'ca.crt'), 'utf8');
  if (existsSync(certPath) && existsSync(keyPath) && usable(await readFile(certPath, 'utf8'), caCertPem, now)) {
    return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
  }
  const issued = issueClientCert(caCertPem, await readFile(join(dir, 'ca.key'), 'utf8'), NODE_CLIENT_COMMON_NAME, now);
  await writeFile(keyPath, issued.keyPem, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(certPath, issued.certPem);
  return issued;
}

/**
 * TLS for the local HTTPS front. A CA is generated once into `<data-dir>/tls/` and kept, so a kubeconfig written
 * earlier keeps working across restarts; the server certificate (127.0.0.1 and localhost) is signed by it and
 * re-issued whenever it is missing, close to expiry or not signed by the current CA. Clients trust the CA through
 * `certificate-authority-data`, never `insecure-skip-tls-verify`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;
const CA_VALIDITY_DAYS = 10 * 365;
const SERVER_VALIDITY_DAYS = 365;
/** A server certificate this close to expiry is re-issued at start. */
const RENEW_BEFORE_DAYS = 30;

export function tlsDir(dataDir: string): string {
  return join(dataDir, 'tls');
}

/** RSA keys from Node's native generator: node-forge's pure-JS keygen takes seconds. */
function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; privateKeyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), privateKeyPem };
}

function serialNumber(): string {
  // Positive (leading bit clear), 16 random bytes.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

function createCa(now: Date): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
  cert.validity.notAfter = new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS);
  const subject = [{ name: 'commonName', value: 'zeroplane-ca' }, { name: 'organizationName', value: 'Zeroplane' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCert(caCertPem: string, caKeyPem: string, now: Date): { certPem: string; keyPem: string } {
  const ca = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
  cert.validity.notAfter = new Date(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: 'zeroplane-apiserver' }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function serverCertUsable(serverCertPem: string, caCertPem: string, now: Date): boolean {
  try {
    const ca = forge.pki.certificateFromPem(caCertPem);
    const cert = forge.pki.certificateFromPem(serverCertPem);
    if (cert.validity.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return false;
    return ca.verify(cert);
  } catch {
    return false;
  }
}

async function writePrivate(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Loads the CA and server certificate from `<dataDir>/tls/`, creating whatever is missing or stale. */
export async function ensureTls(dataDir: string, now: Date = new Date()): Promise<TlsMaterial> {
  const dir = tlsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const serverCert = join(dir, 'server.crt');
  const serverKey = join(dir, 'server.key');

  if (!existsSync(caCert) || !existsSync(caKey)) {
    const ca = createCa(now);
    await writePrivate(caKey, ca.keyPem);
    await writeFile(caCert, ca.certPem);
  }
  const caCertPem = await readFile(caCert, 'utf8');
  const caKeyPem = await readFile(caKey, 'utf8');

  const haveServer = existsSync(serverCert) && existsSync(serverKey);
  if (!haveServer || !serverCertUsable(await readFile(serverCert, 'utf8'), caCertPem, now)) {
    const server = createServerCert(caCertPem, caKeyPem, now);
    await writePrivate(serverKey, server.keyPem);
    await writeFile(serverCert, server.certPem);
  }
  return { caCertPem, serverCertPem: await readFile(serverCert, 'utf8'), serverKeyPem: await readFile(serverKey, 'utf8') };
}

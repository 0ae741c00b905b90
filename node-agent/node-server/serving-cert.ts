/**
 * The node server's own TLS certificate. Like a kubelet without `serverTLSBootstrap`, the agent makes a self-signed
 * one for its addresses: the API authenticates itself to the node with a client certificate (auth.ts), which stays
 * safe even when the API cannot verify the node's certificate.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface ServingCert {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** A self-signed serverAuth certificate for the given IPs and DNS names, valid for a year. */
export function createSelfSignedServingCert(commonName: string, altNames: string[], now = new Date()): ServingCert {
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
  cert.validity.notAfter = new Date(now.getTime() + 365 * DAY_MS);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

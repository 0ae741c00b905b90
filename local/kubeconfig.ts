/**
 * The admin credentials and the kubeconfig of a local cluster. The bearer token is random, generated once and kept
 * in `<data-dir>/admin-token` (0600) so a restart keeps old kubeconfigs valid; the API server is handed only its
 * sha256 hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { fileKey } from '../functions/apiserver/authz/signing-key.ts';
import { createTokenIssuer } from '../functions/apiserver/authz/token-issuer.ts';

export const CLUSTER_NAME = 'zeroplane';
export const USER_NAME = 'admin';

export function kubeconfigPath(dataDir: string): string {
  return resolve(dataDir, 'kubeconfig');
}

/** Hex sha256 of a bearer token: the only form the server keeps. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The admin token, created on first use. */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) {
    const token = (await readFile(path, 'utf8')).trim();
    if (token) return token;
  }
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFile(path, token + '\n', { mode: 0o600 });
  await chmod(path, 0o600);
  return token;
}

export interface KubeconfigInput {
  server: string;
  caCertPem: string;
  token: string;
}

export function renderKubeconfig({ server, caCertPem, token }: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name: USER_NAME, user: { token } }],
    contexts: [{ name: CLUSTER_NAME, context: { cluster: CLUSTER_NAME, user: USER_NAME, namespace: 'default' } }],
    'current-context': CLUSTER_NAME,
    preferences: {},
  });
}

/** Writes `<dataDir>/kubeconfig` (0600: it holds the token) and returns its absolute path. */
export async function writeKubeconfig(dataDir: string, input: KubeconfigInput): Promise<string> {
  const path = kubeconfigPath(dataDir);
  await writeFile(path, renderKubeconfig(input), { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** The key that signs ServiceAccount tokens and node credentials (hex, 0600, created on first use). */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, 'token-signing-key');
}

/** The key that seals Secrets at rest (hex, 0600, created on first use). Losing it loses every stored Secret. */
export function secretsKeyPath(dataDir: string): string {
  return join(dataDir, 'secrets-encryption-key');
}

/** Where the audit log of mutating requests goes (one JSON line each). */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, 'audit.log');
}

/**
 * A node credential (`system:node:<nodeName>`, group system:nodes) for an agent of the local cluster in `dataDir`,
 * signed with the cluster's token key; without `expirationSeconds` it does not expire.
 */
export async function mintNodeToken(dataDir: string, nodeName: string, expirationSeconds?: number): Promise<string> {
  return createTokenIssuer(fileKey(signingKeyPath(dataDir))).issueNodeToken(nodeName, { expirationSeconds });
}

/** A kubeconfig for a node agent: same cluster, the node's credential as user `system:node:<name>`. */
export function renderNodeKubeconfig({ server, caCertPem, token }: KubeconfigInput, nodeName: string): string {
  const user = `system:node:${nodeName}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: CLUSTER_NAME, context: { cluster: CLUSTER_NAME, user } }],
    'current-context': CLUSTER_NAME,
    preferences: {},
  });
}

/**
 * The real kubectl with the kubeconfig `zeroplane kubeconfig` writes: kubectl runs the exec plugin
 * (`npx --no zeroplane token …`), which signs with the AWS credentials in its environment, and sends the token to
 * a small HTTP server that authenticates with createIamAuthenticator against the fake STS. Nothing reaches AWS:
 * the token names sts.eu-west-1.amazonaws.com, but the authenticator's test-only override sends it to 127.0.0.1.
 */
import { createServer, type Server } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createIamAuthenticator } from '../../functions/apiserver/authn/aws-iam.ts';
import { StatusError } from '../../shared/api/status.ts';
import { renderAwsKubeconfig } from '../../local/aws-kubeconfig.ts';
import { ensureTls } from '../../local/tls.ts';
import { startFakeSts, type FakeSts, type FakeStsKey } from '../support/fake-sts.ts';
import { ensureTools, repoRoot, run } from '../support/tools.ts';

const REGION = 'eu-west-1';
const ADMIN: FakeStsKey = {
  accessKeyId: 'AKIAADMINKEY00000001',
  secretAccessKey: 'admin-secret',
  arn: 'arn:aws:iam::123456789012:user/alice',
  account: '123456789012',
  userId: 'AIDAALICE',
};

let sts: FakeSts;
let server: Server;
let dir: string;
let kubectl: string;
let url: string;
let caCertPem: string;
const rejections: string[] = [];

beforeAll(async () => {
  kubectl = (await ensureTools()).kubectl;
  sts = await startFakeSts({ host: `sts.${REGION}.amazonaws.com`, region: REGION, keys: [ADMIN] });
  const iam = createIamAuthenticator({ clusterName: 'prod', adminArns: [ADMIN.arn], stsEndpointOverride: sts.url, onReject: (r) => rejections.push(r) });
  dir = await mkdtemp(join(tmpdir(), 'zp-aws-exec-'));
  const tls = await ensureTls(dir);
  caCertPem = tls.caCertPem;
  // HTTPS: client-go attaches exec plugin credentials only to TLS connections.
  server = createServer({ cert: tls.serverCertPem, key: tls.serverKeyPem }, (req, res) => {
    const answer = (code: number, body: object) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    (token ? iam.authenticate(token) : Promise.resolve(undefined)).then(
      (user) => (user ? answer(200, user) : answer(401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 })),
      (err: unknown) => {
        const e = err instanceof StatusError ? err : new StatusError(500, 'InternalError', String(err));
        answer(e.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await sts?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kubectlAs(clusterName: string, credentials: { accessKeyId: string; secretAccessKey: string }) {
  const kubeconfig = join(dir, `kubeconfig-${clusterName}`);
  const config = renderAwsKubeconfig({ apiUrl: url, clusterName, region: REGION });
  const cluster = config.clusters![0]!;
  cluster.cluster = { ...(cluster.cluster as object), 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') };
  await writeFile(kubeconfig, stringify(config));
  return run(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/whoami'], {
    cwd: repoRoot,
    timeoutMs: 90_000,
    env: {
      PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`,
      HOME: dir,
      KUBECONFIG: undefined,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: undefined,
      // Never let the default credential chain ask an instance metadata service.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    },
  });
}

describe('kubectl with a kubeconfig from `zeroplane kubeconfig`', () => {
  it('signs in through the exec plugin as the IAM user STS names', async () => {
    const result = await kubectlAs('prod', ADMIN);
    // npm itself may warn about the machine's own npm config (e.g. `nodedir`) when npx starts the plugin; nothing
    // else may reach kubectl's stderr.
    const stderr = result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn ')).join('\n');
    expect({ stderr, rejections }).toEqual({ stderr: '', rejections: [] });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ username: ADMIN.arn, groups: ['system:masters', 'system:authenticated'] });
    expect(sts.requests.at(-1)?.clusterId).toBe('prod');
  }, 120_000);

  it('is refused with a token signed for another cluster', async () => {
    const result = await kubectlAs('staging', ADMIN);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('You must be logged in to the server (Unauthorized)');
    expect(rejections).toContain('STS answered 403 SignatureDoesNotMatch');
  }, 120_000);
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIamAuthenticator, iamAuthenticatorOptionsFromEnv, parseCallerIdentity, type IamAuthenticatorOptions } from '../../../../functions/apiserver/authn/aws-iam.ts';
import { StatusError } from '../../../../shared/api/status.ts';
import { encodeIamToken } from '../../../../shared/aws-iam-token.ts';
import { presignIamToken } from '../../../../shared/aws-iam-token-signer.ts';
import { startFakeSts, type FakeSts, type FakeStsKey } from '../../../support/fake-sts.ts';

const REGION = 'eu-west-1';
const HOST = `sts.${REGION}.amazonaws.com`;
const ACCOUNT = '123456789012';
const CLUSTER = 'prod';
const SIGNED_AT = new Date('2026-03-01T12:00:00Z');

const NODE: FakeStsKey = {
  accessKeyId: 'ASIANODEKEY000000001',
  secretAccessKey: 'node-secret',
  sessionToken: 'node-session-token/with+odd=chars',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/prod-NodeRole-ABC/i-0123456789abcdef0`,
  account: ACCOUNT,
  userId: 'AROANODE:i-0123456789abcdef0',
};
const ADMIN: FakeStsKey = {
  accessKeyId: 'AKIAADMINKEY00000001',
  secretAccessKey: 'admin-secret',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  account: ACCOUNT,
  userId: 'AIDAALICE',
};
const STRANGER: FakeStsKey = {
  accessKeyId: 'AKIASTRANGER00000001',
  secretAccessKey: 'stranger-secret',
  arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
  account: ACCOUNT,
  userId: 'AIDAMALLORY',
};

const keyOf = (k: FakeStsKey) => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, ...(k.sessionToken ? { sessionToken: k.sessionToken } : {}) });
const tokenFor = async (k: FakeStsKey, clusterName = CLUSTER, now = SIGNED_AT) =>
  (await presignIamToken({ clusterName, region: REGION, credentials: keyOf(k), now })).token;

let sts: FakeSts;
let clock: Date;
let rejections: string[];

beforeAll(async () => {
  sts = await startFakeSts({ host: HOST, region: REGION, keys: [NODE, ADMIN, STRANGER] });
});
afterAll(() => sts.close());
beforeEach(() => {
  sts.requests.length = 0;
  sts.json = false;
  clock = new Date(SIGNED_AT.getTime() + 30_000);
  rejections = [];
});

function authenticator(overrides: Partial<IamAuthenticatorOptions> = {}) {
  return createIamAuthenticator({
    clusterName: CLUSTER,
    nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/prod-NodeRole-ABC`,
    adminArns: [ADMIN.arn],
    stsEndpointOverride: sts.url,
    now: () => clock,
    onReject: (reason) => rejections.push(reason),
    ...overrides,
  });
}

async function expectUnauthorized(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StatusError);
  expect((err as StatusError).code).toBe(401);
}

describe('createIamAuthenticator', () => {
  it('turns a node instance role token into the node user after STS vouches for it', async () => {
    const user = await authenticator().authenticate(await tokenFor(NODE));
    expect(user).toEqual({
      username: 'system:node:i-0123456789abcdef0',
      groups: ['system:nodes', 'system:authenticated'],
      uid: `aws-iam-authenticator:${ACCOUNT}:${NODE.userId}`,
      extra: {
        arn: [NODE.arn],
        canonicalArn: [`arn:aws:iam::${ACCOUNT}:role/prod-NodeRole-ABC`],
        principalId: [NODE.userId],
        sessionName: ['i-0123456789abcdef0'],
        accessKeyId: [NODE.accessKeyId],
      },
    });
    expect(sts.requests).toHaveLength(1);
    expect(sts.requests[0]!.clusterId).toBe(CLUSTER);
    expect(sts.requests[0]!.accept).toBe('application/json');
  });

  it('turns an admin ARN into a system:masters user named by the ARN', async () => {
    const user = await authenticator().authenticate(await tokenFor(ADMIN));
    expect(user?.username).toBe(ADMIN.arn);
    expect(user?.groups).toEqual(['system:masters', 'system:authenticated']);
  });

  it('reads STS answers in JSON as well as XML', async () => {
    sts.json = true;
    const user = await authenticator().authenticate(await tokenFor(ADMIN));
    expect(user?.username).toBe(ADMIN.arn);
  });

  it('leaves tokens that are not AWS IAM tokens to the other authenticators', async () => {
    await expect(authenticator().authenticate('some-admin-token')).resolves.toBeUndefined();
    await expect(authenticator().authenticate('eyJhbGciOiJFUzI1NiJ9.e30.sig')).resolves.toBeUndefined();
    expect(sts.requests).toHaveLength(0);
  });

  it('refuses a token signed for another cluster, because STS finds the signature wrong', async () => {
    await expectUnauthorized(authenticator().authenticate(await tokenFor(ADMIN, 'staging')));
    expect(sts.requests).toHaveLength(1);
    expect(rejections).toEqual(['STS answered 403 SignatureDoesNotMatch']);
  });

  it('refuses a caller STS knows but nobody mapped', async () => {
    await expectUnauthorized(authenticator().authenticate(await tokenFor(STRANGER)));
    expect(rejections).toEqual([`ARN ${STRANGER.arn} is not mapped to a user`]);
  });

  it('refuses a token whose signature was tampered with', async () => {
    const token = await tokenFor(ADMIN);
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    await expectUnauthorized(authenticator().authenticate(encodeIamToken(tampered)));
    expect(rejections).toEqual(['STS answered 403 SignatureDoesNotMatch']);
  });

  it.each([
    ['garbage base64', 'k8s-aws-v1.!!!not-base64!!!', 'token body is not base64url of a URL'],
    ['a token naming a host that is not STS', encodeIamToken(`https://127.0.0.1/?Action=GetCallerIdentity`), 'host 127.0.0.1 is not an STS endpoint'],
  ])('refuses %s without asking STS', async (_, token, reason) => {
    await expectUnauthorized(authenticator().authenticate(token));
    expect(rejections).toEqual([reason]);
    expect(sts.requests).toHaveLength(0);
  });

  it('asks STS once per token and remembers the answer until the token expires', async () => {
    const auth = authenticator();
    const token = await tokenFor(NODE);
    const users = await Promise.all([auth.authenticate(token), auth.authenticate(token), auth.authenticate(token)]);
    await auth.authenticate(token);
    expect(new Set(users.map((u) => u?.username))).toEqual(new Set(['system:node:i-0123456789abcdef0']));
    expect(sts.requests).toHaveLength(1);

    clock = new Date(SIGNED_AT.getTime() + 15 * 60_000);
    await expectUnauthorized(auth.authenticate(token));
    expect(rejections).toEqual(['token expired']);
    expect(sts.requests).toHaveLength(1);
  });

  it('does not remember a refusal: a later attempt asks STS again', async () => {
    const auth = authenticator({ adminArns: [] });
    const token = await tokenFor(ADMIN);
    await expectUnauthorized(auth.authenticate(token));
    await expectUnauthorized(auth.authenticate(token));
    expect(sts.requests).toHaveLength(2);
  });

  it('keeps at most maxCachedTokens verified tokens', async () => {
    const auth = authenticator({ maxCachedTokens: 1 });
    const first = await tokenFor(ADMIN);
    const second = await tokenFor(NODE);
    await auth.authenticate(first);
    await auth.authenticate(second);
    await auth.authenticate(first);
    expect(sts.requests).toHaveLength(3);
  });

  it('answers 401 when STS cannot be reached', async () => {
    const auth = authenticator({ stsEndpointOverride: 'http://127.0.0.1:1' });
    await expectUnauthorized(auth.authenticate(await tokenFor(ADMIN)));
    expect(rejections[0]).toMatch(/^STS unreachable/);
  });
});

describe('parseCallerIdentity', () => {
  it.each([
    ['XML', 'text/xml', `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>${ADMIN.arn}</Arn><UserId>U</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`, true],
    ['JSON', 'application/json', JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: ADMIN.arn, UserId: 'U', Account: ACCOUNT } } }), true],
    ['XML without a result', 'text/xml', '<ErrorResponse/>', false],
    ['XML with a bad account', 'text/xml', `<GetCallerIdentityResult><Arn>${ADMIN.arn}</Arn><UserId>U</UserId><Account>nope</Account></GetCallerIdentityResult>`, false],
    ['broken JSON', 'application/json', '{', false],
  ])('reads %s', (_, type, body, ok) => {
    const caller = parseCallerIdentity(type, body);
    expect(caller === undefined).toBe(!ok);
    if (ok) expect(caller).toEqual({ Arn: ADMIN.arn, UserId: 'U', Account: ACCOUNT });
  });
});

describe('iamAuthenticatorOptionsFromEnv', () => {
  it('reads the cluster name, node role, admins and mappings', () => {
    expect(
      iamAuthenticatorOptionsFromEnv({
        CLUSTER_NAME: 'prod',
        NODE_ROLE_ARN: 'arn:aws:iam::123456789012:role/N',
        ADMIN_ARNS: ' arn:aws:iam::123456789012:user/a , arn:aws:iam::123456789012:role/B ',
        IAM_MAPPINGS: JSON.stringify([{ arn: 'arn:aws:iam::123456789012:role/Dev', username: 'dev:{{SessionName}}', groups: ['devs'] }]),
      }),
    ).toEqual({
      clusterName: 'prod',
      nodeRoleArn: 'arn:aws:iam::123456789012:role/N',
      adminArns: ['arn:aws:iam::123456789012:user/a', 'arn:aws:iam::123456789012:role/B'],
      mappings: [{ arn: 'arn:aws:iam::123456789012:role/Dev', username: 'dev:{{SessionName}}', groups: ['devs'] }],
    });
  });

  it.each([
    ['no cluster name', { NODE_ROLE_ARN: 'arn:aws:iam::123456789012:role/N' }],
    ['nobody to map (the local cluster)', { CLUSTER_NAME: 'zeroplane', ADMIN_ARNS: '' }],
  ])('is off with %s', (_, env) => {
    expect(iamAuthenticatorOptionsFromEnv(env)).toBeUndefined();
  });

  it('refuses malformed mappings', () => {
    expect(() => iamAuthenticatorOptionsFromEnv({ CLUSTER_NAME: 'x', IAM_MAPPINGS: '[{"arn":"a"}]' })).toThrow();
  });
});

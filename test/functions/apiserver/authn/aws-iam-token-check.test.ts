import { beforeAll, describe, expect, it } from 'vitest';
import { checkIamToken, parseAmzDate } from '../../../../functions/apiserver/authn/aws-iam-token-check.ts';
import { decodeIamToken, encodeIamToken } from '../../../../shared/aws-iam-token.ts';
import { presignIamToken } from '../../../../shared/aws-iam-token-signer.ts';

const SIGNED_AT = new Date('2026-03-01T12:00:00Z');
const NOW = new Date(SIGNED_AT.getTime() + 60_000);
const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'secret' };

let url: string;
beforeAll(async () => {
  const { token } = await presignIamToken({ clusterName: 'prod', region: 'eu-west-1', credentials: CREDENTIALS, now: SIGNED_AT });
  url = decodeIamToken(token)!;
});

/** The valid presigned URL with one query parameter set (undefined: removed). */
function withParam(name: string, value: string | undefined): string {
  const u = new URL(url);
  if (value === undefined) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return encodeIamToken(u.toString());
}

describe('checkIamToken', () => {
  it('accepts a fresh presigned GetCallerIdentity and says where it goes and until when it counts', () => {
    const { token } = { token: encodeIamToken(url) };
    const check = checkIamToken(token, NOW);
    expect(check).toEqual({
      ok: true,
      token: {
        host: 'sts.eu-west-1.amazonaws.com',
        search: new URL(url).search,
        region: 'eu-west-1',
        accessKeyId: CREDENTIALS.accessKeyId,
        signedAt: SIGNED_AT,
        validUntil: new Date(SIGNED_AT.getTime() + 15 * 60_000),
      },
    });
  });

  it.each([
    ['wrong host', () => encodeIamToken(url.replace('sts.eu-west-1.amazonaws.com', 'evil.example.com')), 'host evil.example.com is not an STS endpoint'],
    ['a host that only starts like STS', () => encodeIamToken(url.replace('amazonaws.com', 'amazonaws.com.evil.io')), 'is not an STS endpoint'],
    ['a .cn host for a region outside China', () => encodeIamToken(url.replace('amazonaws.com', 'amazonaws.com.cn')), 'is not an STS endpoint'],
    ['plain http', () => encodeIamToken(url.replace('https://', 'http://')), 'not an https URL'],
    ['a port', () => encodeIamToken(url.replace('amazonaws.com/', 'amazonaws.com:8443/')), 'port'],
    ['user info', () => encodeIamToken(url.replace('https://', 'https://me@')), 'credentials'],
    ['another path', () => encodeIamToken(url.replace('amazonaws.com/', 'amazonaws.com/x')), 'path is not /'],
    ['wrong action', () => withParam('Action', 'AssumeRole'), 'action is not GetCallerIdentity'],
    ['wrong version', () => withParam('Version', '2020-01-01'), 'version is not 2011-06-15'],
    ['an extra parameter', () => withParam('RoleArn', 'x'), 'unexpected query parameter RoleArn'],
    ['a parameter given twice in another case', () => encodeIamToken(url + '&action=GetCallerIdentity'), 'given twice'],
    ['not presigned (no signature)', () => withParam('X-Amz-Signature', undefined), 'not presigned: x-amz-signature is missing'],
    ['not presigned (no algorithm)', () => withParam('X-Amz-Algorithm', undefined), 'not presigned'],
    ['another algorithm', () => withParam('X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256'), 'algorithm'],
    ['x-k8s-aws-id missing from the signed headers', () => withParam('X-Amz-SignedHeaders', 'host'), 'x-k8s-aws-id is not a signed header'],
    ['host missing from the signed headers', () => withParam('X-Amz-SignedHeaders', 'x-k8s-aws-id'), 'host is not a signed header'],
    ['X-Amz-Expires over 15 minutes', () => withParam('X-Amz-Expires', '901'), 'X-Amz-Expires 901'],
    ['X-Amz-Expires zero', () => withParam('X-Amz-Expires', '0'), 'X-Amz-Expires 0'],
    ['X-Amz-Expires not a number', () => withParam('X-Amz-Expires', '6e1'), 'X-Amz-Expires 6e1'],
    ['a date that is not one', () => withParam('X-Amz-Date', '20260231T120000Z'), 'X-Amz-Date is not a date'],
    ['a signature that is not hex', () => withParam('X-Amz-Signature', 'zz'), 'X-Amz-Signature is malformed'],
    ['a credential scoped to another service', () => withParam('X-Amz-Credential', `${CREDENTIALS.accessKeyId}/20260301/eu-west-1/iam/aws4_request`), 'credential scope is not sts'],
    ['a credential scoped to another region', () => withParam('X-Amz-Credential', `${CREDENTIALS.accessKeyId}/20260301/us-east-1/sts/aws4_request`), 'credential scope region us-east-1'],
    ['a credential scoped to another day', () => withParam('X-Amz-Credential', `${CREDENTIALS.accessKeyId}/20260302/eu-west-1/sts/aws4_request`), 'credential scope date'],
    ['garbage base64', () => 'k8s-aws-v1.!!!', 'token body is not base64url of a URL'],
    ['padded base64', () => encodeIamToken(url) + '==', 'token body is not base64url of a URL'],
    ['base64 of binary', () => 'k8s-aws-v1.' + Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64url'), 'token body is not base64url of a URL'],
    ['an empty body', () => 'k8s-aws-v1.', 'token body is not base64url of a URL'],
    ['base64 of something that is not a URL', () => encodeIamToken('hello'), 'not an https URL'],
    ['a token too long', () => encodeIamToken(url + '&' + 'x'.repeat(4096)), 'token too long'],
    ['another prefix', () => 'k8s-aws-v2.' + encodeIamToken(url).slice(11), 'not an AWS IAM token'],
  ])('refuses %s', (_, make, reason) => {
    const check = checkIamToken(make(), NOW);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it.each([
    ['15 minutes after signing', 15 * 60_000, 'token expired'],
    ['an hour after signing', 60 * 60_000, 'token expired'],
    ['more than 5 minutes before signing', -5 * 60_000 - 1000, 'token is signed in the future'],
  ])('refuses a token %s', (_, offset, reason) => {
    const check = checkIamToken(encodeIamToken(url), new Date(SIGNED_AT.getTime() + offset));
    expect(check).toEqual({ ok: false, reason });
  });

  it.each([
    ['just signed', 0],
    ['signed 14 minutes ago', 14 * 60_000],
    ['dated slightly in the future (clock skew)', -4 * 60_000],
  ])('accepts a token %s', (_, offset) => {
    expect(checkIamToken(encodeIamToken(url), new Date(SIGNED_AT.getTime() + offset)).ok).toBe(true);
  });

  it('accepts the global endpoint when the key is scoped to us-east-1', async () => {
    const { token } = await presignIamToken({ clusterName: 'prod', credentials: CREDENTIALS, now: SIGNED_AT });
    const check = checkIamToken(token, NOW);
    expect(check.ok && check.token.host).toBe('sts.amazonaws.com');
    expect(check.ok && check.token.region).toBe('us-east-1');
  });

  it('accepts session credentials (X-Amz-Security-Token)', async () => {
    const { token } = await presignIamToken({ clusterName: 'prod', region: 'cn-north-1', credentials: { ...CREDENTIALS, sessionToken: 'tok+/=' }, now: SIGNED_AT });
    const check = checkIamToken(token, NOW);
    expect(check.ok && check.token.host).toBe('sts.cn-north-1.amazonaws.com.cn');
  });
});

describe('parseAmzDate', () => {
  it.each([
    ['20260301T120000Z', '2026-03-01T12:00:00.000Z'],
    ['20240229T235959Z', '2024-02-29T23:59:59.000Z'],
    ['20250229T000000Z', undefined],
    ['20260301T246000Z', undefined],
    ['2026-03-01T12:00:00Z', undefined],
  ])('reads %s', (text, iso) => {
    expect(parseAmzDate(text)?.toISOString()).toBe(iso);
  });
});

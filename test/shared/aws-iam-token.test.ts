import { describe, expect, it } from 'vitest';
import { decodeIamToken, encodeIamToken, stsHostFor, stsHostRegion } from '../../shared/aws-iam-token.ts';
import { createIamTokenSource, presignIamToken } from '../../shared/aws-iam-token-signer.ts';

const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'secret' };

describe('stsHostFor and stsHostRegion', () => {
  it.each([
    [undefined, 'sts.amazonaws.com', 'us-east-1'],
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
  ])('region %s signs for %s and back', (region, host, signingRegion) => {
    expect(stsHostFor(region)).toBe(host);
    expect(stsHostRegion(host)).toBe(signingRegion);
  });

  it.each(['sts.amazonaws.com.cn', 'sts.eu-west-1.amazonaws.com.cn', 'sts.cn-north-1.amazonaws.com', 'sts.eu-west-1.amazonaws.com.evil.io', 'evil.sts.amazonaws.com', 'sts.evil.amazonaws.com', 'sts.amazonaws.co', 'STS.amazonaws.com'])(
    'knows %s is not an STS endpoint',
    (host) => {
      expect(stsHostRegion(host)).toBeUndefined();
    },
  );

  it('refuses to name a host for something that is not a region', () => {
    expect(() => stsHostFor('evil.io/x')).toThrow(/not an AWS region/);
  });
});

describe('encodeIamToken and decodeIamToken', () => {
  it('round-trips a URL as unpadded base64url behind k8s-aws-v1.', () => {
    const url = 'https://sts.amazonaws.com/?Action=GetCallerIdentity&X=a%2Fb~';
    const token = encodeIamToken(url);
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(decodeIamToken(token)).toBe(url);
  });

  it.each([
    ['standard base64 characters', 'k8s-aws-v1.a+b/'],
    ['padding', 'k8s-aws-v1.YQ=='],
    ['an impossible length', 'k8s-aws-v1.Y'],
    ['an empty body', 'k8s-aws-v1.'],
    ['binary', 'k8s-aws-v1.' + Buffer.from([0xc3, 0x28, 0x0a]).toString('base64url')],
    ['another prefix', 'bearer'],
  ])('refuses a body with %s', (_, token) => {
    expect(decodeIamToken(token)).toBeUndefined();
  });
});

describe('presignIamToken', () => {
  it('presigns GetCallerIdentity over the cluster header, for 60 s, valid to the client for 14 minutes', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const { token, expiresAt } = await presignIamToken({ clusterName: 'prod', region: 'eu-west-1', credentials: CREDENTIALS, now });
    const url = new URL(decodeIamToken(token)!);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAEXAMPLE000000001/20260301/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20260301T120000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(expiresAt.toISOString()).toBe('2026-03-01T12:14:00.000Z');
  });

  it('signs differently for another cluster', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const a = await presignIamToken({ clusterName: 'a', credentials: CREDENTIALS, now });
    const b = await presignIamToken({ clusterName: 'b', credentials: CREDENTIALS, now });
    expect(a.token).not.toBe(b.token);
  });
});

describe('createIamTokenSource', () => {
  it('reuses a token until a minute before the server stops accepting it', async () => {
    let now = new Date('2026-03-01T12:00:00Z');
    let calls = 0;
    const source = createIamTokenSource({
      clusterName: 'prod',
      credentials: async () => {
        calls++;
        return CREDENTIALS;
      },
      now: () => now,
    });
    const first = await source.token();
    now = new Date('2026-03-01T12:13:59Z');
    expect(await source.token()).toBe(first);
    now = new Date('2026-03-01T12:14:00Z');
    expect(await source.token()).not.toBe(first);
    expect(calls).toBe(2);
  });
});

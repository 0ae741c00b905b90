/**
 * The AWS IAM bearer token, in aws-iam-authenticator's format (what `aws eks get-token` prints), so any tool that
 * can make an EKS token can make ours: `k8s-aws-v1.` + base64url (no padding) of a presigned
 * `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-…` whose signed
 * headers include `x-k8s-aws-id: <cluster name>`. The holder never shows a secret: the server replays the URL to
 * STS, which answers with the signer's ARN. Binding the cluster name into the signature keeps a token made for one
 * cluster from being replayed against another. Pure: shared by the signer (client) and the verifier (API).
 */

export const IAM_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The signed header that names the cluster a token is for. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** What the client asks for; STS ignores it for GetCallerIdentity and accepts the URL for 15 minutes. */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** How long after X-Amz-Date a token is accepted (aws-iam-authenticator's presignedURLExpiration). */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** How long before that a client stops using a token (aws-iam-authenticator refreshes a minute early). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** aws-iam-authenticator's maxTokenLenBytes: a presigned URL with a session token stays well under it. */
export const MAX_TOKEN_LENGTH = 4096;

export const STS_ACTION = 'GetCallerIdentity';
export const STS_VERSION = '2011-06-15';
export const STS_SIGNING_SERVICE = 'sts';
/** The region whose key signs requests to the global endpoint. */
export const GLOBAL_STS_SIGNING_REGION = 'us-east-1';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isAwsRegion(region: string): boolean {
  return REGION.test(region);
}

/** The STS host a region's tokens go to: the regional endpoint (China's under .amazonaws.com.cn), or the global one. */
export function stsHostFor(region: string | undefined): string {
  if (region === undefined) return 'sts.amazonaws.com';
  if (!isAwsRegion(region)) throw new Error(`${JSON.stringify(region)} is not an AWS region`);
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

/**
 * The region an STS host signs for, or undefined when the host is not an STS endpoint. Only these hosts are ever
 * contacted with a token: anything else would let a caller point the API at a server that vouches for anyone.
 */
export function stsHostRegion(host: string): string | undefined {
  if (host === 'sts.amazonaws.com') return GLOBAL_STS_SIGNING_REGION;
  const m = /^sts\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host);
  if (!m || !isAwsRegion(m[1]!)) return undefined;
  // China's regions live only under .com.cn, and only they do.
  if (m[1]!.startsWith('cn-') !== (m[2] !== undefined)) return undefined;
  return m[1];
}

export function encodeIamToken(presignedUrl: string): string {
  return IAM_TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

/** The presigned URL inside a token, or undefined when the body is not strict unpadded base64url. */
export function decodeIamToken(token: string): string | undefined {
  if (!token.startsWith(IAM_TOKEN_PREFIX)) return undefined;
  const body = token.slice(IAM_TOKEN_PREFIX.length);
  // Node's decoder skips characters it does not know; a token with any of them is not one we made.
  if (!/^[A-Za-z0-9_-]+$/.test(body) || body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return undefined;
  const text = bytes.toString('utf8');
  // A URL is printable ASCII; anything else (including invalid UTF-8 turned into U+FFFD) is garbage.
  return /^[\x21-\x7e]+$/.test(text) ? text : undefined;
}

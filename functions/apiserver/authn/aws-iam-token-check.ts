/**
 * What the API checks in an AWS IAM token before it replays it to STS (aws-iam-authenticator's Verify, a little
 * stricter): the URL must be a presigned sts:GetCallerIdentity on a real STS host, with no parameter STS would
 * read beyond the ones a presign writes, signed over the cluster-name header, and not older than 15 minutes.
 * Whether the cluster name in the signature is ours is decided by STS: the API sends its own name in the header,
 * so a token signed for another cluster fails STS's signature check. Pure.
 */
import {
  CLUSTER_ID_HEADER,
  decodeIamToken,
  IAM_TOKEN_PREFIX,
  MAX_TOKEN_LENGTH,
  STS_ACTION,
  STS_SIGNING_SERVICE,
  STS_VERSION,
  stsHostRegion,
  TOKEN_LIFETIME_MS,
} from '../../../shared/aws-iam-token.ts';

/** A token that passed the checks: where to send it and until when it counts. */
export interface CheckedIamToken {
  host: string;
  /** The query string exactly as signed, with its leading `?`. */
  search: string;
  region: string;
  accessKeyId: string;
  signedAt: Date;
  /** X-Amz-Date + 15 minutes: after that the token is refused without asking STS. */
  validUntil: Date;
}

export type IamTokenCheck = { ok: true; token: CheckedIamToken } | { ok: false; reason: string };

/** The parameters a presigned GetCallerIdentity has (lower-cased; X-Amz-Security-Token only with session keys). */
const ALLOWED_PARAMS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const REQUIRED_PARAMS = ['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-signature', 'x-amz-signedheaders'];
/** SigV4's limit for a presigned URL is 7 days; a token is a short-lived credential, so we allow at most 15 minutes. */
const MAX_EXPIRES_SECONDS = 900;
/** Clock skew tolerated for a token dated in the future (SigV4's own tolerance). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

const reject = (reason: string): IamTokenCheck => ({ ok: false, reason });

/** `20240102T030405Z` → Date, or undefined. */
export function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20240231 over to March; a real signer never writes such a date.
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? date : undefined;
}

export function checkIamToken(token: string, now: Date): IamTokenCheck {
  if (!token.startsWith(IAM_TOKEN_PREFIX)) return reject('not an AWS IAM token');
  if (token.length > MAX_TOKEN_LENGTH) return reject('token too long');
  const raw = decodeIamToken(token);
  if (raw === undefined) return reject('token body is not base64url of a URL');
  if (!raw.startsWith('https://')) return reject('not an https URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return reject('not a URL');
  }
  if (url.username || url.password || url.port || url.hash) return reject('URL has credentials, a port or a fragment');
  const region = stsHostRegion(url.hostname);
  if (region === undefined) return reject(`host ${url.hostname} is not an STS endpoint`);
  if (url.pathname !== '/') return reject('path is not /');

  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const k = key.toLowerCase();
    if (!ALLOWED_PARAMS.has(k)) return reject(`unexpected query parameter ${key}`);
    if (params.has(k)) return reject(`query parameter ${key} given twice`);
    params.set(k, value);
  }
  for (const k of REQUIRED_PARAMS) if (!params.has(k)) return reject(`not presigned: ${k} is missing`);
  if (params.get('action') !== STS_ACTION) return reject(`action is not ${STS_ACTION}`);
  if (params.get('version') !== STS_VERSION) return reject(`version is not ${STS_VERSION}`);
  if (params.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') return reject('algorithm is not AWS4-HMAC-SHA256');

  const signedHeaders = params.get('x-amz-signedheaders')!.split(';');
  if (!signedHeaders.includes(CLUSTER_ID_HEADER)) return reject(`${CLUSTER_ID_HEADER} is not a signed header`);
  if (!signedHeaders.includes('host')) return reject('host is not a signed header');

  const expires = params.get('x-amz-expires')!;
  if (!/^\d{1,4}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
    return reject(`X-Amz-Expires ${expires} is not 1–${MAX_EXPIRES_SECONDS}`);
  }
  const signedAt = parseAmzDate(params.get('x-amz-date')!);
  if (!signedAt) return reject('X-Amz-Date is not a date');
  if (signedAt.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) return reject('token is signed in the future');
  const validUntil = new Date(signedAt.getTime() + TOKEN_LIFETIME_MS);
  if (validUntil.getTime() <= now.getTime()) return reject('token expired');

  // AKID/yyyymmdd/region/sts/aws4_request: the key must be scoped to STS, this host's region and the signing day.
  const scope = params.get('x-amz-credential')!.split('/');
  if (scope.length !== 5 || !/^[A-Z0-9]{16,128}$/.test(scope[0]!)) return reject('X-Amz-Credential is malformed');
  if (scope[1] !== params.get('x-amz-date')!.slice(0, 8)) return reject('credential scope date differs from X-Amz-Date');
  if (scope[2] !== region) return reject(`credential scope region ${scope[2]} does not sign for ${url.hostname}`);
  if (scope[3] !== STS_SIGNING_SERVICE || scope[4] !== 'aws4_request') return reject('credential scope is not sts/aws4_request');
  if (!/^[0-9a-f]{64}$/.test(params.get('x-amz-signature')!)) return reject('X-Amz-Signature is malformed');

  return { ok: true, token: { host: url.hostname, search: url.search, region, accessKeyId: scope[0]!, signedAt, validUntil } };
}

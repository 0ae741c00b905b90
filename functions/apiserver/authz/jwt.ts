/**
 * Compact JWS with HS256 (RFC 7515/7519), for the tokens this cluster issues itself: ServiceAccount tokens
 * (TokenRequest) and node credentials. Only the issuer verifies them, so a shared secret is enough; the key comes
 * from the data dir locally and from Secrets Manager on AWS (signing-key.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const HeaderSchema = z.looseObject({ alg: z.literal('HS256'), typ: z.string().optional(), kid: z.string().optional() });

export const ClaimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.string(),
  aud: z.array(z.string()),
  iat: z.number(),
  nbf: z.number().optional(),
  exp: z.number().optional(),
  jti: z.string().optional(),
  'kubernetes.io': z
    .looseObject({
      namespace: z.string(),
      serviceaccount: z.looseObject({ name: z.string(), uid: z.string() }),
      pod: z.looseObject({ name: z.string(), uid: z.string() }).optional(),
      secret: z.looseObject({ name: z.string(), uid: z.string() }).optional(),
      node: z.looseObject({ name: z.string(), uid: z.string().optional() }).optional(),
    })
    .optional(),
});
export type Claims = z.infer<typeof ClaimsSchema>;

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

function mac(key: Buffer, input: string): Buffer {
  return createHmac('sha256', key).update(input).digest();
}

export function signJwt(claims: Claims, key: Buffer, kid?: string): string {
  const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }));
  const payload = b64(JSON.stringify(claims));
  return `${header}.${payload}.${b64(mac(key, `${header}.${payload}`))}`;
}

/** True when `token` looks like a JWS (three base64url parts), so other token kinds skip the JSON work. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The claims of a token signed with `key`, or undefined (bad signature, bad shape, not yet valid or expired). */
export function verifyJwt(token: string, key: Buffer, nowSeconds: number): Claims | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [header, payload, signature] = token.split('.');
  const expected = mac(key, `${header}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    if (!HeaderSchema.safeParse(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).success) return undefined;
    const claims = ClaimsSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!claims.success) return undefined;
    const c = claims.data;
    // A minute of leeway for clock skew, as apiserver's JWT validator allows.
    if (c.nbf !== undefined && c.nbf > nowSeconds + 60) return undefined;
    if (c.exp !== undefined && c.exp <= nowSeconds - 60) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

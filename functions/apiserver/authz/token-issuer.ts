/**
 * The tokens this cluster issues and accepts besides the admin token: ServiceAccount tokens (TokenRequest,
 * `kubectl create token`, expiring, audience-bound) and node credentials (`system:node:<name>`). Both are HS256
 * JWTs under one signing key (signing-key.ts). Identities come from the subject, never from claims a client
 * could choose: `system:serviceaccount:<ns>:<name>` and `system:node:<name>`.
 */
import { randomUUID } from 'node:crypto';
import { NODE_USER_PREFIX, nodeUser, parseServiceAccountUser, serviceAccountUser, type UserInfo } from './attributes.ts';
import { signJwt, verifyJwt, type Claims } from './jwt.ts';
import type { KeySource } from './signing-key.ts';

/** The API's own audience and issuer (apiserver's defaults for an in-cluster issuer). */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export const DEFAULT_TOKEN_SECONDS = 3600;
/** TokenRequest's lower bound (apiserver validation: "may not specify a duration less than 10 minutes"). */
export const MIN_TOKEN_SECONDS = 600;
/** apiserver caps requested lifetimes at `--service-account-max-token-expiration`; ours is 48 h. */
export const MAX_TOKEN_SECONDS = 48 * 3600;

export interface ServiceAccountTokenRequest {
  namespace: string;
  name: string;
  uid: string;
  audiences?: string[];
  expirationSeconds?: number;
  boundObject?: { kind: 'Pod' | 'Secret'; name: string; uid: string };
  now: Date;
}

export interface IssuedToken {
  token: string;
  expirationTimestamp: Date;
  audiences: string[];
  expirationSeconds: number;
}

export interface TokenIssuer {
  issueServiceAccountToken(req: ServiceAccountTokenRequest): Promise<IssuedToken>;
  /** A node credential for the agent on `nodeName`; no expiry unless `expirationSeconds` is given. */
  issueNodeToken(nodeName: string, options?: { expirationSeconds?: number; now?: Date }): Promise<string>;
  /** The verified claims of one of our tokens for one of `audiences` (default: the API), or undefined. */
  verify(token: string, now: Date, audiences?: string[]): Promise<Claims | undefined>;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

export function createTokenIssuer(key: KeySource): TokenIssuer {
  return {
    async issueServiceAccountToken(req) {
      const audiences = req.audiences?.length ? req.audiences : [API_AUDIENCE];
      const expirationSeconds = Math.min(req.expirationSeconds ?? DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS);
      const iat = seconds(req.now);
      const bound = req.boundObject ? { [req.boundObject.kind === 'Pod' ? 'pod' : 'secret']: { name: req.boundObject.name, uid: req.boundObject.uid } } : {};
      const claims: Claims = {
        iss: ISSUER,
        sub: `system:serviceaccount:${req.namespace}:${req.name}`,
        aud: audiences,
        iat,
        nbf: iat,
        exp: iat + expirationSeconds,
        jti: randomUUID(),
        'kubernetes.io': { namespace: req.namespace, serviceaccount: { name: req.name, uid: req.uid }, ...bound },
      };
      return { token: signJwt(claims, await key()), expirationTimestamp: new Date((iat + expirationSeconds) * 1000), audiences, expirationSeconds };
    },
    async issueNodeToken(nodeName, options = {}) {
      const iat = seconds(options.now ?? new Date());
      const claims: Claims = {
        iss: ISSUER,
        sub: `${NODE_USER_PREFIX}${nodeName}`,
        aud: [API_AUDIENCE],
        iat,
        nbf: iat,
        ...(options.expirationSeconds ? { exp: iat + options.expirationSeconds } : {}),
        jti: randomUUID(),
      };
      return signJwt(claims, await key());
    },
    async verify(token, now, audiences = [API_AUDIENCE]) {
      const claims = verifyJwt(token, await key(), seconds(now));
      if (!claims || !claims.aud.some((a) => audiences.includes(a))) return undefined;
      return claims;
    },
  };
}

/** The user a verified token stands for. Service account claims must agree with the subject. */
export function userOfClaims(claims: Claims): UserInfo | undefined {
  if (claims.sub.startsWith(NODE_USER_PREFIX)) {
    const name = claims.sub.slice(NODE_USER_PREFIX.length);
    return name ? nodeUser(name) : undefined;
  }
  const sa = parseServiceAccountUser(claims.sub);
  const k = claims['kubernetes.io'];
  if (!sa || !k || k.namespace !== sa.namespace || k.serviceaccount.name !== sa.name) return undefined;
  const user = serviceAccountUser(sa.namespace, sa.name, k.serviceaccount.uid);
  const extra: Record<string, string[]> = {};
  if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  if (k.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  return { ...user, extra };
}

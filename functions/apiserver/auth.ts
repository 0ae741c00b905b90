/**
 * Authentication: the bearer token of a request → the user it stands for (apiserver's token authenticators).
 * - Admin tokens, held only as sha256 hashes (hex): user `zeroplane:admin` in system:masters.
 * - ServiceAccount tokens and node credentials: JWTs this cluster signed (authz/token-issuer.ts). A service account
 *   token is only good while its ServiceAccount exists with the uid it was issued for (apiserver's legacy-free
 *   bound token check); a deleted and recreated account does not inherit old tokens.
 * Requests without a token are anonymous: only the public paths (`system:public-info-viewer`) answer them; every
 * other path answers 401, as does any token nobody recognises.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../../shared/api/status.ts';
import { AUTHENTICATED_GROUP, MASTERS_GROUP, type UserInfo } from './authz/attributes.ts';
import { looksLikeJwt } from './authz/jwt.ts';
import { API_AUDIENCE, userOfClaims, type TokenIssuer } from './authz/token-issuer.ts';

const PUBLIC_PATHS = [/^\/version\/?$/, /^\/(healthz|livez|readyz)(\/[^/]*)?\/?$/];

export const ADMIN_USER: UserInfo = { username: 'zeroplane:admin', groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] };
export const ANONYMOUS_USER: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some((re) => re.test(path));
}

export interface AuthenticatorOptions {
  /** sha256 hex digests of the admin bearer tokens. */
  adminTokenHashes: readonly string[];
  /** Verifies ServiceAccount and node tokens; without it only admin tokens are accepted. */
  issuer?: TokenIssuer;
  /** The uid of a ServiceAccount, or undefined when it does not exist. */
  serviceAccountUid?: (namespace: string, name: string) => Promise<string | undefined>;
  now?: () => Date;
  /** How long a ServiceAccount's existence is remembered. Default 5 s. */
  serviceAccountCacheMs?: number;
  /** AWS IAM (`k8s-aws-v1.` presigned STS tokens): nodes by their instance role, users by their IAM identity. */
  iam?: { authenticate(token: string): Promise<UserInfo | undefined> };
}

export interface Authenticator {
  /** The request's user: undefined for an anonymous request to a public path; throws 401 otherwise. */
  authenticate(path: string, authorization: string | undefined): Promise<UserInfo | undefined>;
  /** TokenReview: the user behind `token` for one of `audiences` (default the API's), or undefined. */
  review(token: string, audiences?: string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined>;
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const hashes = options.adminTokenHashes.map((h) => Buffer.from(h.trim().toLowerCase(), 'hex')).filter((b) => b.length === 32);
  const now = options.now ?? (() => new Date());
  const cacheMs = options.serviceAccountCacheMs ?? 5000;
  const known = new Map<string, { uid: string; until: number }>();

  const isAdmin = (token: string): boolean => {
    const digest = createHash('sha256').update(token).digest();
    // Compare against every hash in constant time, so timing reveals nothing about which one is close.
    let found = false;
    for (const h of hashes) if (timingSafeEqual(h, digest)) found = true;
    return found;
  };

  const serviceAccountCurrent = async (namespace: string, name: string, uid: string | undefined): Promise<boolean> => {
    if (!options.serviceAccountUid) return true;
    const key = `${namespace}/${name}`;
    const hit = known.get(key);
    const t = Date.now();
    let current = hit && hit.until > t ? hit.uid : undefined;
    if (current === undefined) {
      current = await options.serviceAccountUid(namespace, name);
      if (current === undefined) known.delete(key);
      else known.set(key, { uid: current, until: t + cacheMs });
    }
    return current !== undefined && (uid === undefined || uid === current);
  };

  const review = async (token: string, audiences: string[] = [API_AUDIENCE]) => {
    if (isAdmin(token)) return { user: ADMIN_USER, audiences: [API_AUDIENCE] };
    if (options.iam) {
      const user = await options.iam.authenticate(token);
      if (user) return { user, audiences: [API_AUDIENCE] };
    }
    if (!options.issuer || !looksLikeJwt(token)) return undefined;
    const claims = await options.issuer.verify(token, now(), audiences);
    if (!claims) return undefined;
    const user = userOfClaims(claims);
    if (!user) return undefined;
    const sa = claims['kubernetes.io'];
    if (sa && !(await serviceAccountCurrent(sa.namespace, sa.serviceaccount.name, sa.serviceaccount.uid))) return undefined;
    return { user, audiences: claims.aud.filter((a) => audiences.includes(a)) };
  };

  return {
    async authenticate(path, authorization) {
      const token = bearerToken(authorization);
      if (token === undefined) {
        if (isPublicPath(path)) return undefined;
        throw errors.unauthorized();
      }
      const found = await review(token);
      if (!found) throw errors.unauthorized();
      return found.user;
    },
    review,
  };
}

/**
 * Bearer-token authentication against a configured set of token hashes (sha256, hex): the server never holds
 * the tokens themselves. A few read-only paths are public, as apiserver's `system:public-info-viewer` role allows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors } from '../../shared/api/status.ts';

const PUBLIC_PATHS = [/^\/version\/?$/, /^\/(healthz|livez|readyz)(\/[^/]*)?\/?$/];

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some((re) => re.test(path));
}

export interface Authenticator {
  /** Throws 401 Unauthorized unless the request may proceed. */
  check(path: string, authorization: string | undefined): void;
}

export function createAuthenticator(tokenHashes: readonly string[]): Authenticator {
  const hashes = tokenHashes.map((h) => Buffer.from(h.trim().toLowerCase(), 'hex')).filter((b) => b.length === 32);
  const known = (token: string): boolean => {
    const digest = createHash('sha256').update(token).digest();
    // Compare against every hash in constant time, so timing reveals nothing about which one is close.
    let found = false;
    for (const h of hashes) if (timingSafeEqual(h, digest)) found = true;
    return found;
  };
  return {
    check(path, authorization) {
      if (isPublicPath(path)) return;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!m || !known(m[1])) throw errors.unauthorized();
    },
  };
}

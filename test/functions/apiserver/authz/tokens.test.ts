import { describe, expect, it } from 'vitest';
import { createAuthenticator, sha256Hex, ADMIN_USER } from '../../../../functions/apiserver/auth.ts';
import { signJwt, verifyJwt, type Claims } from '../../../../functions/apiserver/authz/jwt.ts';
import { API_AUDIENCE, createTokenIssuer } from '../../../../functions/apiserver/authz/token-issuer.ts';

const key = Buffer.alloc(32, 7);
const issuer = createTokenIssuer(async () => key);
const now = new Date('2026-01-01T00:00:00Z');
const nowS = now.getTime() / 1000;

function authenticator(accounts: Record<string, string> = { 'ns/sa': 'uid-1' }) {
  return createAuthenticator({
    adminTokenHashes: [sha256Hex('admin-token')],
    issuer,
    now: () => now,
    serviceAccountUid: async (ns, name) => accounts[`${ns}/${name}`],
    serviceAccountCacheMs: 0,
  });
}

describe('JWT', () => {
  const claims: Claims = { iss: 'i', sub: 's', aud: ['a'], iat: nowS, exp: nowS + 600 };
  it.each<[string, string, Buffer, number, boolean]>([
    ['a valid token', signJwt(claims, key), key, nowS, true],
    ['another key', signJwt(claims, key), Buffer.alloc(32, 8), nowS, false],
    ['after expiry (past the minute of leeway)', signJwt(claims, key), key, nowS + 661, false],
    ['within the leeway', signJwt(claims, key), key, nowS + 620, true],
    ['a tampered payload', signJwt(claims, key).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...claims, sub: 'root' })).toString('base64url')}.`), key, nowS, false],
    ['not a JWT', 'abc', key, nowS, false],
  ])('%s verifies: %s', (_n, token, k, at, ok) => {
    expect(verifyJwt(token, k, at) !== undefined).toBe(ok);
  });
});

describe('createAuthenticator', () => {
  it('maps the admin token to zeroplane:admin in system:masters', async () => {
    expect(await authenticator().authenticate('/api', 'Bearer admin-token')).toEqual(ADMIN_USER);
  });

  it('answers 401 without a token, except on public paths', async () => {
    await expect(authenticator().authenticate('/api', undefined)).rejects.toMatchObject({ code: 401 });
    expect(await authenticator().authenticate('/version', undefined)).toBeUndefined();
    await expect(authenticator().authenticate('/version', 'Bearer nope')).rejects.toMatchObject({ code: 401 });
  });

  it('maps a ServiceAccount token to system:serviceaccount:<ns>:<name> with its groups', async () => {
    const { token } = await issuer.issueServiceAccountToken({ namespace: 'ns', name: 'sa', uid: 'uid-1', now });
    const user = await authenticator().authenticate('/api', `Bearer ${token}`);
    expect(user).toMatchObject({ username: 'system:serviceaccount:ns:sa', uid: 'uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] });
  });

  it('rejects a token whose ServiceAccount was deleted or recreated', async () => {
    const { token } = await issuer.issueServiceAccountToken({ namespace: 'ns', name: 'sa', uid: 'uid-1', now });
    await expect(authenticator({}).authenticate('/api', `Bearer ${token}`)).rejects.toMatchObject({ code: 401 });
    await expect(authenticator({ 'ns/sa': 'uid-2' }).authenticate('/api', `Bearer ${token}`)).rejects.toMatchObject({ code: 401 });
  });

  it('rejects a token issued for another audience, and TokenReview accepts it for that audience', async () => {
    const { token } = await issuer.issueServiceAccountToken({ namespace: 'ns', name: 'sa', uid: 'uid-1', audiences: ['vault'], now });
    await expect(authenticator().authenticate('/api', `Bearer ${token}`)).rejects.toMatchObject({ code: 401 });
    expect((await authenticator().review(token, ['vault']))?.audiences).toEqual(['vault']);
    expect(await authenticator().review(token, [API_AUDIENCE])).toBeUndefined();
  });

  it('maps a node credential to system:node:<name> in system:nodes', async () => {
    const token = await issuer.issueNodeToken('n1', { now });
    expect(await authenticator().authenticate('/api', `Bearer ${token}`)).toEqual({ username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
  });
});

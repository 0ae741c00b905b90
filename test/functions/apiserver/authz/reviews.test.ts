/**
 * The review kinds, TokenRequest and the audit log through the API core over DynamoDB Local (the kubectl e2e
 * covers SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview and create token end to end).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../../functions/apiserver/authz/audit-log.ts';
import { createTokenIssuer } from '../../../../functions/apiserver/authz/token-issuer.ts';
import { createHarness, type Harness } from '../api-harness.ts';

const issuer = createTokenIssuer(async () => Buffer.alloc(32, 3));
const audit: AuditEvent[] = [];
let h: Harness;
let saToken: string;

beforeAll(async () => {
  h = await createHarness({ tokenIssuer: issuer, audit: (e) => audit.push(e), rbac: { maxAgeMs: 0 } });
  await h.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team' } } });
  await h.call('POST', '/api/v1/namespaces/team/serviceaccounts', { body: { metadata: { name: 'bot' } } });
  await h.call('POST', '/api/v1/namespaces/team/secrets', { body: { metadata: { name: 's' }, stringData: { password: 'plain-password' } } });
  const r = await h.call('POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } } });
  saToken = r.json.status.token;
}, 60_000);

describe('TokenRequest', () => {
  it('answers 201 with the token, its expiry and the API audience', async () => {
    const r = await h.call('POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', { body: { spec: {} } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: 'bot', namespace: 'team' }, spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600 } });
    expect(r.json.status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it.each([
    ['a lifetime under ten minutes', '/api/v1/namespaces/team/serviceaccounts/bot/token', { spec: { expirationSeconds: 60 } }, 422, 'TokenRequest.authentication.k8s.io "bot" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes'],
    ['a missing ServiceAccount', '/api/v1/namespaces/team/serviceaccounts/nobody/token', { spec: {} }, 404, 'serviceaccounts "nobody" not found'],
    ['a bound Pod that does not exist', '/api/v1/namespaces/team/serviceaccounts/bot/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } } }, 404, 'pods "p" not found'],
  ])('refuses %s', async (_n, path, body, code, message) => {
    const r = await h.call('POST', path, { body });
    expect([r.status, r.json.message]).toEqual([code, message]);
  });
});

describe('TokenReview and SubjectAccessReview', () => {
  it('reviews a ServiceAccount token without echoing it', async () => {
    const r = await h.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: saToken } } });
    expect(r.status).toBe(201);
    expect(r.json.status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] } });
    expect(r.text).not.toContain(saToken);
    const bad = await h.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { spec: { token: 'x.y.z' } } });
    expect(bad.json.status).toMatchObject({ authenticated: false });
  });

  it('answers a SubjectAccessReview for another user, and 403s a requester without the right to ask', async () => {
    const ask = (token?: string) =>
      h.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        token,
        body: { spec: { user: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:authenticated'], resourceAttributes: { verb: 'create', resource: 'selfsubjectaccessreviews', group: 'authorization.k8s.io' } } },
      });
    const r = await ask();
    expect([r.status, r.json.status.allowed]).toEqual([201, true]);
    const denied = await ask(saToken);
    expect([denied.status, denied.json.message]).toEqual([
      403,
      'subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:team:bot" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    ]);
  });

  it('422s an access review naming neither a resource nor a path', async () => {
    const r = await h.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { spec: {} } });
    expect(r.status).toBe(422);
    expect(r.json.message).toContain('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  });

  it('sees a new RoleBinding at once', async () => {
    const can = async () =>
      (await h.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: saToken, body: { spec: { resourceAttributes: { namespace: 'team', verb: 'get', resource: 'configmaps' } } } })).json.status.allowed;
    expect(await can()).toBe(false);
    await h.call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
      body: { metadata: { name: 'bot-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'team' }] },
    });
    expect(await can()).toBe(true);
  });
});

describe('audit log', () => {
  it('records mutating requests with their outcome and never a body', () => {
    expect(audit).toContainEqual(expect.objectContaining({ user: 'zeroplane:admin', verb: 'create', resource: 'secrets', namespace: 'team', name: 's', code: 201 }));
    expect(audit).toContainEqual(expect.objectContaining({ user: 'system:serviceaccount:team:bot', verb: 'create', resource: 'subjectaccessreviews.authorization.k8s.io', code: 403 }));
    expect(audit).toContainEqual(expect.objectContaining({ verb: 'create', resource: 'serviceaccounts/token', namespace: 'team', name: 'nobody', code: 404 }));
    const text = JSON.stringify(audit);
    expect(text).not.toContain('plain-password');
    expect(text).not.toContain(Buffer.from('plain-password').toString('base64'));
    expect(text).not.toContain(saToken);
  });
});

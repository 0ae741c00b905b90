/**
 * User impersonation (`kubectl --as=… --as-group=…`, the Impersonate-User / Impersonate-Group headers), as
 * apiserver's impersonation filter: the requester needs the `impersonate` verb on `users` (or on the
 * `serviceaccounts` object for a service account name) and on each `groups` name; the request then runs as the
 * impersonated user, and the audit log names both.
 */
import { errors } from '../../../shared/api/status.ts';
import type { ApiRequest } from '../http.ts';
import { AUTHENTICATED_GROUP, parseServiceAccountUser, serviceAccountUser, type ResourceAttributes, type UserInfo } from './attributes.ts';
import type { Authorizer } from './authorizer.ts';

export type ImpersonatedUser = UserInfo & { impersonatedBy?: string };

function splitHeader(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The user the request runs as: `user` itself, or the one it may impersonate. Throws 403 when it may not. */
export async function impersonate(req: ApiRequest, user: UserInfo, authorizer: Authorizer): Promise<ImpersonatedUser> {
  const target = req.headers['impersonate-user'];
  const groups = splitHeader(req.headers['impersonate-group']);
  if (target === undefined) {
    if (groups.length) throw errors.badRequest(`requested [${groups.join(' ')}] without impersonating a user`);
    return user;
  }
  const sa = parseServiceAccountUser(target);
  const checks: ResourceAttributes[] = [
    sa
      ? { kind: 'resource', verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', subresource: '', namespace: sa.namespace, name: sa.name }
      : { kind: 'resource', verb: 'impersonate', apiGroup: '', resource: 'users', subresource: '', namespace: '', name: target },
    ...groups.map((g): ResourceAttributes => ({ kind: 'resource', verb: 'impersonate', apiGroup: '', resource: 'groups', subresource: '', namespace: '', name: g })),
  ];
  for (const attrs of checks) {
    const d = await authorizer.authorize(user, attrs);
    if (!d.allowed) {
      throw errors.forbidden(user.username, 'impersonate', { group: '', resource: attrs.resource }, attrs.namespace || undefined, d.reason, { name: attrs.name });
    }
  }
  const base: UserInfo = sa
    ? groups.length
      ? { username: target, groups: [...groups, AUTHENTICATED_GROUP] }
      : serviceAccountUser(sa.namespace, sa.name)
    : { username: target, groups: target === 'system:anonymous' ? groups : [...new Set([...groups, AUTHENTICATED_GROUP])] };
  return { ...base, impersonatedBy: user.username };
}

/**
 * What every request goes through before the API core serves it, and after: authenticate (401), authorize with
 * Node + RBAC (403 with apiserver's message), answer the review kinds and TokenRequest, and write the audit line.
 * core.ts calls `admit`, then `serve`, and `audit` once the reply is known.
 */
import type { Logger } from 'pino';
import type { ObjectStore } from '../../store/object-store.ts';
import { createAuthenticator, type Authenticator, type AuthenticatorOptions } from '../auth.ts';
import { decodeBody } from '../content.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';
import type { Route } from '../router.ts';
import { attributesOf, nodeNameOf, type UserInfo } from './attributes.ts';
import { auditEventOf, type AuditSink } from './audit-log.ts';
import { createAuthorizer, forbiddenError, type Authorizer } from './authorizer.ts';
import type { NodeRequest } from './node-authorizer.ts';
import type { RbacSourceOptions } from './rbac-source.ts';
import { impersonate } from './impersonation.ts';
import { serveReview } from './reviews.ts';
import type { TokenIssuer } from './token-issuer.ts';

export interface GuardDeps {
  store: ObjectStore;
  /** sha256 hex digests of the admin tokens. */
  adminTokenHashes: readonly string[];
  issuer?: TokenIssuer;
  iam?: AuthenticatorOptions['iam'];
  audit?: AuditSink;
  rbac?: RbacSourceOptions;
  logger: Logger;
  now: () => Date;
}

export interface RequestGuard {
  /** The request's user, after impersonation (undefined: anonymous on a public path). Throws 401, or 403 for a
   *  forbidden impersonation. */
  authenticate(req: ApiRequest): Promise<UserInfo | undefined>;
  /** Throws 403 unless `user` may make this request (anonymous requests reach only public paths). */
  authorize(req: ApiRequest, route: Route, user: UserInfo | undefined): Promise<void>;
  /** Reviews and TokenRequest; undefined for everything else. */
  serve(req: ApiRequest, route: Route, user: UserInfo | undefined): Promise<ApiResponse | undefined>;
  audit(req: ApiRequest, route: Route | undefined, user: UserInfo | undefined, res: ApiResponse): void;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
}

/** What the Node authorizer needs from the request beyond the path: the field selector, a create's object name. */
function nodeRequest(req: ApiRequest, route: Route): NodeRequest {
  const out: NodeRequest = { fieldSelector: req.query.fieldSelector };
  if (route.kind === 'resource' && route.verb === 'create' && !route.subresource) {
    const body = decodeBody(req.headers['content-type'], req.body) as { metadata?: { name?: unknown } } | undefined;
    if (typeof body?.metadata?.name === 'string') out.bodyName = body.metadata.name;
  }
  return out;
}

export function createRequestGuard(deps: GuardDeps): RequestGuard {
  const authenticator = createAuthenticator({
    adminTokenHashes: deps.adminTokenHashes,
    issuer: deps.issuer,
    iam: deps.iam,
    now: deps.now,
    serviceAccountUid: async (namespace, name) => (await deps.store.get({ resource: 'core/serviceaccounts', namespace, name }))?.metadata.uid,
  });
  const authorizer = createAuthorizer({ store: deps.store, rbac: deps.rbac });
  return {
    authenticator,
    authorizer,
    async authenticate(req) {
      const user = await authenticator.authenticate(req.path, req.headers.authorization);
      return user && impersonate(req, user, authorizer);
    },
    async authorize(req, route, user) {
      if (!user) return;
      const attrs = attributesOf(req.method, route, req.path);
      const request = nodeNameOf(user) !== undefined ? nodeRequest(req, route) : undefined;
      const decision = await authorizer.authorize(user, attrs, request);
      if (!decision.allowed) throw forbiddenError(user, attrs, decision.reason);
    },
    async serve(req, route, user) {
      if (route.kind !== 'resource' || !user) return undefined;
      return serveReview({ store: deps.store, authenticator, authorizer, issuer: deps.issuer, now: deps.now }, req, route, user);
    },
    audit(req, route, user, res) {
      if (!deps.audit || !route) return;
      const event = auditEventOf(req, route, user, res, deps.now());
      if (!event) return;
      try {
        deps.audit(event);
      } catch (err) {
        deps.logger.error({ err }, 'audit log write failed');
      }
    },
  };
}

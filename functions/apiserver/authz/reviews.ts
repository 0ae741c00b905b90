/**
 * The API's answers about identity and permission, none of them stored: SelfSubjectAccessReview,
 * SubjectAccessReview, SelfSubjectRulesReview (authorization.k8s.io), TokenReview, SelfSubjectReview and the
 * serviceaccounts/token subresource (authentication.k8s.io). Each echoes the request object with `status` filled,
 * 201 Created, as apiserver does. The request itself has already been authorized like any other create.
 */
import { ServiceAccountSchema } from '../../../shared/api/kinds/serviceaccount.ts';
import {
  SelfSubjectAccessReviewSchema,
  SelfSubjectRulesReviewSchema,
  SubjectAccessReviewSchema,
  type SelfSubjectAccessReview,
} from '../../../shared/api/kinds/authorization.ts';
import { SelfSubjectReviewSchema, TokenRequestSchema, TokenReviewSchema } from '../../../shared/api/kinds/authentication.ts';
import { errors } from '../../../shared/api/status.ts';
import { fieldErrors } from '../../../shared/api/validation.ts';
import type { z } from 'zod';
import type { ObjectStore } from '../../store/object-store.ts';
import type { Authenticator } from '../auth.ts';
import { decodeObjectBody } from '../content.ts';
import { jsonResponse, type ApiRequest, type ApiResponse } from '../http.ts';
import type { ResourceRoute } from '../router.ts';
import type { RequestAttributes, UserInfo } from './attributes.ts';
import type { Authorizer } from './authorizer.ts';
import { MIN_TOKEN_SECONDS, type TokenIssuer } from './token-issuer.ts';

export interface ReviewDeps {
  store: ObjectStore;
  authenticator: Authenticator;
  authorizer: Authorizer;
  issuer?: TokenIssuer;
  now: () => Date;
}

type Spec = SelfSubjectAccessReview['spec'];

function parseBody<S extends z.ZodType>(schema: S, kind: string, group: string, req: ApiRequest): z.infer<S> {
  const body = decodeObjectBody(req.headers['content-type'], req.body);
  const parsed = schema.safeParse({ apiVersion: `${group}/v1`, kind, metadata: {}, spec: {}, ...body });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The request attributes a review's spec describes; 422 unless exactly one of the two kinds is given. */
export function reviewAttributes(kind: string, spec: Spec): RequestAttributes {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if ((r && n) || (!r && !n)) {
    throw errors.invalid(kind, 'authorization.k8s.io', '', [
      fieldErrors.invalid('spec.resourceAttributes', r ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    ]);
  }
  if (n) return { kind: 'nonResource', verb: n.verb ?? '', path: n.path ?? '' };
  return {
    kind: 'resource',
    verb: r!.verb ?? '',
    apiGroup: r!.group ?? '',
    apiVersion: r!.version ?? '',
    resource: r!.resource ?? '',
    subresource: r!.subresource ?? '',
    namespace: r!.namespace ?? '',
    name: r!.name ?? '',
  };
}

function created(obj: unknown): ApiResponse {
  return jsonResponse(201, obj);
}

function reviewMetadata(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...(meta ?? {}), creationTimestamp: null };
}

function userInfoJson(user: UserInfo): Record<string, unknown> {
  return { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}) };
}

async function accessStatus(deps: ReviewDeps, user: UserInfo, attrs: RequestAttributes) {
  const d = await deps.authorizer.authorize(user, attrs);
  return d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
}

async function tokenRequest(deps: ReviewDeps, req: ApiRequest, route: ResourceRoute): Promise<ApiResponse> {
  const namespace = route.namespace ?? '';
  const name = route.name ?? '';
  if (!deps.issuer) throw errors.methodNotAllowed();
  const body = TokenRequestSchema.safeParse(decodeObjectBody(req.headers['content-type'], req.body));
  if (!body.success) throw errors.badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: ${body.error.issues[0].message}`);
  const spec = body.data.spec ?? {};
  const seconds = spec.expirationSeconds ?? undefined;
  if (seconds !== undefined && seconds < MIN_TOKEN_SECONDS) {
    throw errors.invalid('TokenRequest', 'authentication.k8s.io', name, [fieldErrors.invalid('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes')]);
  }
  const sa = ServiceAccountSchema.safeParse(await deps.store.get({ resource: 'core/serviceaccounts', namespace, name }));
  if (!sa.success) throw errors.notFound({ group: '', resource: 'serviceaccounts' }, name);
  let boundObject: { kind: 'Pod' | 'Secret'; name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret') {
      throw errors.invalid('TokenRequest', 'authentication.k8s.io', name, [fieldErrors.notSupported('spec.boundObjectRef.kind', ref.kind ?? '', ['Pod', 'Secret'])]);
    }
    const obj = await deps.store.get({ resource: ref.kind === 'Pod' ? 'core/pods' : 'core/secrets', namespace, name: ref.name ?? '' });
    if (!obj) throw errors.notFound({ group: '', resource: ref.kind === 'Pod' ? 'pods' : 'secrets' }, ref.name ?? '');
    if (ref.uid && ref.uid !== obj.metadata.uid) {
      throw errors.conflict({ group: '', resource: ref.kind === 'Pod' ? 'pods' : 'secrets' }, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    boundObject = { kind: ref.kind, name: ref.name ?? '', uid: obj.metadata.uid ?? '' };
  }
  const issued = await deps.issuer.issueServiceAccountToken({
    namespace,
    name,
    uid: sa.data.metadata.uid ?? '',
    audiences: spec.audiences ?? undefined,
    expirationSeconds: seconds,
    boundObject,
    now: deps.now(),
  });
  return created({
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: {
      audiences: issued.audiences,
      expirationSeconds: issued.expirationSeconds,
      boundObjectRef: ref ? { kind: ref.kind, apiVersion: 'v1', name: ref.name, uid: boundObject?.uid } : null,
    },
    status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
}

/**
 * Answers the request when it is one of the reviews or a TokenRequest; undefined for every other request.
 * `user` is the authenticated requester (the review requests are never anonymous).
 */
export async function serveReview(deps: ReviewDeps, req: ApiRequest, route: ResourceRoute, user: UserInfo): Promise<ApiResponse | undefined> {
  if (route.verb !== 'create') return undefined;
  if (route.group === '' && route.resource === 'serviceaccounts' && route.subresource === 'token' && route.namespace && route.name) {
    return tokenRequest(deps, req, route);
  }
  if (route.subresource !== undefined || route.namespace !== undefined) return undefined;
  if (route.group === 'authorization.k8s.io' && route.version === 'v1') {
    switch (route.resource) {
      case 'selfsubjectaccessreviews': {
        const review = parseBody(SelfSubjectAccessReviewSchema, 'SelfSubjectAccessReview', route.group, req);
        const attrs = reviewAttributes('SelfSubjectAccessReview', review.spec);
        return created({ ...review, metadata: reviewMetadata(review.metadata), status: await accessStatus(deps, user, attrs) });
      }
      case 'subjectaccessreviews': {
        const review = parseBody(SubjectAccessReviewSchema, 'SubjectAccessReview', route.group, req);
        const spec = review.spec;
        if (!spec.user && !spec.groups?.length) {
          throw errors.invalid('SubjectAccessReview', 'authorization.k8s.io', '', [fieldErrors.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified')]);
        }
        const subject: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}) };
        const attrs = reviewAttributes('SubjectAccessReview', spec);
        return created({ ...review, metadata: reviewMetadata(review.metadata), status: await accessStatus(deps, subject, attrs) });
      }
      case 'selfsubjectrulesreviews': {
        const review = parseBody(SelfSubjectRulesReviewSchema, 'SelfSubjectRulesReview', route.group, req);
        const rules = await deps.authorizer.rulesFor(user, review.spec?.namespace ?? '');
        return created({ ...review, metadata: reviewMetadata(review.metadata), status: rules });
      }
    }
  }
  if (route.group === 'authentication.k8s.io' && route.version === 'v1') {
    switch (route.resource) {
      case 'selfsubjectreviews': {
        const review = parseBody(SelfSubjectReviewSchema, 'SelfSubjectReview', route.group, req);
        return created({ apiVersion: review.apiVersion, kind: review.kind, metadata: reviewMetadata(review.metadata), status: { userInfo: userInfoJson(user) } });
      }
      case 'tokenreviews': {
        const review = parseBody(TokenReviewSchema, 'TokenReview', route.group, req);
        const token = review.spec.token ?? '';
        const audiences = review.spec.audiences ?? undefined;
        const found = token ? await deps.authenticator.review(token, audiences?.length ? audiences : undefined) : undefined;
        const status = found
          ? { authenticated: true, user: userInfoJson(found.user), audiences: found.audiences }
          : { authenticated: false, user: {}, error: token ? 'invalid bearer token' : 'token is required' };
        // The token is a secret: never echo it back.
        return created({ ...review, metadata: reviewMetadata(review.metadata), spec: { ...review.spec, token: undefined }, status });
      }
    }
  }
  return undefined;
}

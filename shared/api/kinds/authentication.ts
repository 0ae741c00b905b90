/**
 * authentication.k8s.io/v1: TokenReview, SelfSubjectReview (`kubectl auth whoami`) and TokenRequest, the kind of
 * the serviceaccounts/token subresource (`kubectl create token`). Create-only, never stored
 * (functions/apiserver/authz/reviews.ts answers them).
 */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { createdAtTable } from './rbac.ts';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';

export const UserInfoSchema = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});

export const TokenReviewSchema = z.looseObject({
  ...objectShape(`${AUTHENTICATION_GROUP}/v1`, 'TokenReview'),
  spec: z.looseObject({ token: z.string().optional(), audiences: z.array(z.string()).optional().nullable() }),
  status: z.looseObject({}).optional(),
});
export type TokenReview = z.infer<typeof TokenReviewSchema>;

export const SelfSubjectReviewSchema = z.looseObject({
  ...objectShape(`${AUTHENTICATION_GROUP}/v1`, 'SelfSubjectReview'),
  status: z.looseObject({ userInfo: UserInfoSchema.optional() }).optional(),
});

export const TokenRequestSchema = z.looseObject({
  apiVersion: z.literal(`${AUTHENTICATION_GROUP}/v1`).optional(),
  kind: z.literal('TokenRequest').optional(),
  metadata: z.looseObject({}).optional(),
  spec: z
    .looseObject({
      audiences: z.array(z.string()).optional().nullable(),
      expirationSeconds: z.number().int().optional().nullable(),
      boundObjectRef: z.looseObject({ kind: z.string().optional(), apiVersion: z.string().optional(), name: z.string().optional(), uid: z.string().optional() }).optional().nullable(),
    })
    .optional(),
});
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

const reviewStrategy = { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.pathSegment };

export const tokenreviews = defineKind({
  group: AUTHENTICATION_GROUP,
  version: 'v1',
  resource: 'tokenreviews',
  kind: 'TokenReview',
  namespaced: false,
  verbs: ['create'],
  schema: TokenReviewSchema,
  strategy: reviewStrategy,
  table: createdAtTable,
});

export const selfsubjectreviews = defineKind({
  group: AUTHENTICATION_GROUP,
  version: 'v1',
  resource: 'selfsubjectreviews',
  kind: 'SelfSubjectReview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectReviewSchema,
  strategy: reviewStrategy,
  table: createdAtTable,
});

/**
 * authorization.k8s.io/v1 reviews: SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview and
 * SelfSubjectRulesReview (`kubectl auth can-i --list`). Create-only and never stored: the API answers each with
 * the same object and its status filled (functions/apiserver/authz/reviews.ts).
 */
import { z } from 'zod';
import { nameValidators } from '../validation.ts';
import { defineKind, objectShape } from './meta.ts';
import { createdAtTable } from './rbac.ts';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

export const ResourceAttributesSchema = z.looseObject({
  namespace: z.string().optional(),
  verb: z.string().optional(),
  group: z.string().optional(),
  version: z.string().optional(),
  resource: z.string().optional(),
  subresource: z.string().optional(),
  name: z.string().optional(),
});
export const NonResourceAttributesSchema = z.looseObject({ path: z.string().optional(), verb: z.string().optional() });

const accessSpec = {
  resourceAttributes: ResourceAttributesSchema.optional().nullable(),
  nonResourceAttributes: NonResourceAttributesSchema.optional().nullable(),
};

export const SubjectAccessReviewStatusSchema = z.looseObject({
  allowed: z.boolean(),
  denied: z.boolean().optional(),
  reason: z.string().optional(),
  evaluationError: z.string().optional(),
});

export const SelfSubjectAccessReviewSchema = z.looseObject({
  ...objectShape(`${AUTHORIZATION_GROUP}/v1`, 'SelfSubjectAccessReview'),
  spec: z.looseObject(accessSpec),
  status: SubjectAccessReviewStatusSchema.optional(),
});
export type SelfSubjectAccessReview = z.infer<typeof SelfSubjectAccessReviewSchema>;

export const SubjectAccessReviewSchema = z.looseObject({
  ...objectShape(`${AUTHORIZATION_GROUP}/v1`, 'SubjectAccessReview'),
  spec: z.looseObject({
    ...accessSpec,
    user: z.string().optional(),
    groups: z.array(z.string()).optional().nullable(),
    uid: z.string().optional(),
    extra: z.record(z.string(), z.array(z.string())).optional().nullable(),
  }),
  status: SubjectAccessReviewStatusSchema.optional(),
});
export type SubjectAccessReview = z.infer<typeof SubjectAccessReviewSchema>;

export const SelfSubjectRulesReviewSchema = z.looseObject({
  ...objectShape(`${AUTHORIZATION_GROUP}/v1`, 'SelfSubjectRulesReview'),
  spec: z.looseObject({ namespace: z.string().optional() }).optional(),
  status: z.looseObject({}).optional(),
});
export type SelfSubjectRulesReview = z.infer<typeof SelfSubjectRulesReviewSchema>;

const reviewStrategy = { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.pathSegment };

export const selfsubjectaccessreviews = defineKind({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  resource: 'selfsubjectaccessreviews',
  kind: 'SelfSubjectAccessReview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectAccessReviewSchema,
  strategy: reviewStrategy,
  table: createdAtTable,
});

export const selfsubjectrulesreviews = defineKind({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  resource: 'selfsubjectrulesreviews',
  kind: 'SelfSubjectRulesReview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectRulesReviewSchema,
  strategy: reviewStrategy,
  table: createdAtTable,
});

export const subjectaccessreviews = defineKind({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  resource: 'subjectaccessreviews',
  kind: 'SubjectAccessReview',
  namespaced: false,
  verbs: ['create'],
  schema: SubjectAccessReviewSchema,
  strategy: reviewStrategy,
  table: createdAtTable,
});

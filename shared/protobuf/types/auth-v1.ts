/** k8s.io.api.authorization.v1 SelfSubjectAccessReview (kubectl auth can-i) and authentication.v1 TokenRequest
 *  (kubectl create token). */
import { bool, int64, msg, str, strs, type MessageSpec } from '../schema.ts';

const ptr = { ptr: true } as const;

export const authV1: Record<string, MessageSpec> = {
  'authorization.v1.SelfSubjectAccessReview': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'authorization.v1.SelfSubjectAccessReviewSpec'),
    3: msg('status', 'authorization.v1.SubjectAccessReviewStatus'),
  },
  'authorization.v1.SelfSubjectAccessReviewSpec': {
    1: msg('resourceAttributes', 'authorization.v1.ResourceAttributes', ptr),
    2: msg('nonResourceAttributes', 'authorization.v1.NonResourceAttributes', ptr),
  },
  'authorization.v1.ResourceAttributes': {
    1: str('namespace'), 2: str('verb'), 3: str('group'), 4: str('version'), 5: str('resource'), 6: str('subresource'), 7: str('name'),
  },
  'authorization.v1.NonResourceAttributes': { 1: str('path'), 2: str('verb') },
  'authorization.v1.SubjectAccessReviewStatus': { 1: bool('allowed'), 2: str('reason'), 3: str('evaluationError'), 4: bool('denied') },

  // kubectl auth can-i --list
  'authorization.v1.SelfSubjectRulesReview': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'authorization.v1.SelfSubjectRulesReviewSpec'),
  },
  'authorization.v1.SelfSubjectRulesReviewSpec': { 1: str('namespace') },
  'authorization.v1.SubjectAccessReview': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'authorization.v1.SubjectAccessReviewSpec'),
  },
  'authorization.v1.SubjectAccessReviewSpec': {
    1: msg('resourceAttributes', 'authorization.v1.ResourceAttributes', ptr),
    2: msg('nonResourceAttributes', 'authorization.v1.NonResourceAttributes', ptr),
    3: str('user'),
    4: strs('groups'),
    6: str('uid'),
  },
  // kubectl auth whoami
  'authentication.v1.SelfSubjectReview': { 1: msg('metadata', 'meta.v1.ObjectMeta') },
  'authentication.v1.TokenReview': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'authentication.v1.TokenReviewSpec'),
  },
  'authentication.v1.TokenReviewSpec': { 1: str('token'), 2: strs('audiences') },

  'authentication.v1.TokenRequest': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'authentication.v1.TokenRequestSpec'),
    3: msg('status', 'authentication.v1.TokenRequestStatus'),
  },
  'authentication.v1.TokenRequestSpec': {
    1: strs('audiences'),
    3: msg('boundObjectRef', 'authentication.v1.BoundObjectReference', ptr),
    4: int64('expirationSeconds', ptr),
  },
  'authentication.v1.BoundObjectReference': { 1: str('kind'), 2: str('apiVersion'), 3: str('name'), 4: str('uid') },
  'authentication.v1.TokenRequestStatus': { 1: str('token'), 2: msg('expirationTimestamp', 'Time') },
};

/**
 * imagePullPolicy as the kubelet applies it before every container start (seed 003): `Always` pulls each time,
 * `IfNotPresent` pulls only when the image is missing, `Never` never pulls and fails with ErrImageNeverPull when
 * the image is missing. An omitted policy defaults from the tag (`:latest` or no tag → Always, else IfNotPresent).
 * A failed pull is ErrImagePull, then ImagePullBackOff while the growing backoff runs.
 */
import { defaultImagePullPolicy, type Container } from '../../shared/api/kinds/pod-spec.ts';
import type { EnsureImageResult, ImagePullMode } from '../runtime/container-runtime.ts';
import { nextBackoff } from './backoff.ts';
import type { ImageState } from './pod-state.ts';

/** How long ErrImagePull stays the reported reason after a failed pull: the kubelet's resync-after-error period. */
export const ERR_IMAGE_PULL_REPORTED_MS = 10_000;
/** How often a Never-policy container whose image is missing is checked again (the kubelet's resync on error). */
export const NEVER_PULL_RECHECK_MS = 10_000;

export function pullMode(container: Container): ImagePullMode {
  const policy = container.imagePullPolicy || defaultImagePullPolicy(container.image);
  if (policy === 'Always') return 'always';
  if (policy === 'Never') return 'never';
  return 'ifNotPresent';
}

/** The image state after an ensureImage outcome for the given container attempt. */
export function recordImageResult(
  previous: ImageState | undefined,
  image: string,
  result: EnsureImageResult,
  attempt: number,
  now: number,
): ImageState {
  switch (result.kind) {
    case 'present':
      return { status: 'present', imageID: result.imageID, forAttempt: attempt };
    case 'absent':
      return {
        status: 'neverPullAbsent',
        message: `Container image "${image}" is not present with pull policy of Never`,
        at: now,
        forAttempt: attempt,
      };
    case 'pullFailed': {
      const prior = previous?.status === 'pullFailed' ? previous.backoff : undefined;
      return { status: 'pullFailed', message: result.message, backoff: nextBackoff(prior, now, now), forAttempt: attempt };
    }
  }
}

/** The waiting reason an image problem shows in the container status, if any. */
export function imageWaitingReason(state: ImageState | undefined, image: string, now: number): { reason: string; message: string } | undefined {
  if (!state) return undefined;
  if (state.status === 'neverPullAbsent') return { reason: 'ErrImageNeverPull', message: state.message };
  if (state.status === 'pullFailed') {
    if (now - state.backoff.lastUpdateMs < ERR_IMAGE_PULL_REPORTED_MS) return { reason: 'ErrImagePull', message: state.message };
    return { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
  }
  return undefined;
}

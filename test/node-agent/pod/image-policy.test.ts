import { describe, expect, it } from 'vitest';
import { imageWaitingReason, recordImageResult } from '../../../node-agent/pod/image-policy.ts';
import { formatGoDuration } from '../../../node-agent/pod/backoff.ts';
import type { ImageState } from '../../../node-agent/pod/pod-state.ts';
import { s } from '../support/known.ts';

describe('image pull outcomes', () => {
  it('grows the pull backoff with each failure: 10 s, 20 s, 40 s', () => {
    let state: ImageState | undefined;
    const durations: number[] = [];
    for (const at of [0, 10, 30]) {
      state = recordImageResult(state, 'nope:1', { kind: 'pullFailed', message: 'not found' }, 0, s(at));
      durations.push(state.status === 'pullFailed' ? state.backoff.durationMs / 1000 : -1);
    }
    expect(durations).toEqual([10, 20, 40]);
  });

  it.each<[string, ImageState, number, { reason: string; message: string } | undefined]>([
    ['a fresh pull failure', { status: 'pullFailed', message: 'denied', backoff: { durationMs: 20_000, lastUpdateMs: s(0) }, forAttempt: 0 }, s(9), { reason: 'ErrImagePull', message: 'denied' }],
    [
      'a pull failure in its backoff',
      { status: 'pullFailed', message: 'denied', backoff: { durationMs: 20_000, lastUpdateMs: s(0) }, forAttempt: 0 },
      s(10),
      { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' },
    ],
    ['a missing Never image', recordImageResult(undefined, 'nope:1', { kind: 'absent' }, 0, s(0)), s(1), { reason: 'ErrImageNeverPull', message: 'Container image "nope:1" is not present with pull policy of Never' }],
    ['a present image', { status: 'present', imageID: 'sha256:1', forAttempt: 0 }, s(0), undefined],
  ])('reports %s', (_name, state, now, reason) => {
    expect(imageWaitingReason(state, 'nope:1', now)).toEqual(reason);
  });

  it.each([
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
  ])('prints a backoff of %d ms as %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

/** Builders for known pod states in planner and status tables. */
import { emptyKnownState, PodDesired, type KnownContainer, type KnownPodState } from '../../../node-agent/pod/pod-state.ts';

export const T0 = Date.parse('2026-11-23T10:00:00Z');
export const s = (seconds: number) => T0 + seconds * 1000;

/** Any field of an instance; the rest get defaults (the image id is always `sha256:1111`). */
export type InstanceInput = Partial<Omit<KnownContainer, 'imageID'>>;

export function instance(input: InstanceInput = {}): KnownContainer {
  const name = input.name ?? 'app';
  const attempt = input.attempt ?? 0;
  const c: KnownContainer = {
    id: input.id ?? `${name}-${attempt}`,
    name,
    role: input.role ?? 'app',
    attempt,
    image: input.image ?? 'zp/busybox:1',
    imageID: 'sha256:1111',
    state: input.state ?? 'running',
    createdAt: input.createdAt ?? s(-100 + attempt),
  };
  if (c.state !== 'created') c.startedAt = input.startedAt ?? c.createdAt;
  if (input.finishedAt !== undefined) c.finishedAt = input.finishedAt;
  else if (c.state === 'exited') c.finishedAt = c.startedAt! + 1000;
  if (input.exitCode !== undefined) c.exitCode = input.exitCode;
  else if (c.state === 'exited') c.exitCode = 0;
  if (input.oomKilled) c.oomKilled = true;
  if (input.error) c.error = input.error;
  if (input.backoff) c.backoff = input.backoff;
  return c;
}

export function known(parts: Partial<KnownPodState> & { sandbox?: boolean | 'exited' } = {}): KnownPodState {
  const k = emptyKnownState(parts.desired ?? PodDesired.Running);
  const { sandbox = true, ...rest } = parts;
  Object.assign(k, rest);
  if (!parts.sandboxes && sandbox) k.sandboxes = [{ id: 'sandbox-1', ip: '10.244.1.5', state: sandbox === 'exited' ? 'exited' : 'running', createdAt: s(-200) }];
  return k;
}

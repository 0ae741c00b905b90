import { describe, expect, it } from 'vitest';
import { sharedResourceWatch } from '../../../node-agent/network/shared-watch.ts';
import { ENDPOINT_SLICES, SERVICES, type ResourceName, type ResourceWatch, type WatchHandlers } from '../../../node-agent/network/resource-watch.ts';
import type { KubeObject } from '../../../shared/api/object.ts';

/** An in-memory ResourceWatch: records each watch started and lets the test push object sets into it. */
class FakeWatch {
  readonly started: Array<{ resource: ResourceName; handlers: WatchHandlers<KubeObject>; signal: AbortSignal }> = [];
  readonly watch: ResourceWatch = (resource, handlers, signal) => {
    this.started.push({ resource, handlers: handlers as unknown as WatchHandlers<KubeObject>, signal });
  };
  push(resource: ResourceName, items: KubeObject[]): void {
    for (const s of this.started) if (s.resource === resource && !s.signal.aborted) s.handlers.onChange(items.map((o) => s.handlers.parse(o)));
  }
}

const svc = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' } });
const names = (items: KubeObject[]) => items.map((o) => o.metadata.name);

describe('sharedResourceWatch', () => {
  it('starts one underlying watch per resource, however many follow it', () => {
    const fake = new FakeWatch();
    const watch = sharedResourceWatch(fake.watch);
    const abort = new AbortController();
    for (let i = 0; i < 3; i++) watch(SERVICES, { parse: (o) => o as KubeObject, onChange: () => undefined }, abort.signal);
    watch(ENDPOINT_SLICES, { parse: (o) => o as KubeObject, onChange: () => undefined }, abort.signal);
    expect(fake.started.map((s) => s.resource.resource)).toEqual(['services', 'endpointslices']);
  });

  it('gives every follower each change, and a late follower the current set at once, parsed with its own schema', () => {
    const fake = new FakeWatch();
    const watch = sharedResourceWatch(fake.watch);
    const abort = new AbortController();
    const first: string[][] = [];
    watch(SERVICES, { parse: (o) => o as KubeObject, onChange: (items) => first.push(names(items) as string[]) }, abort.signal);
    fake.push(SERVICES, [svc('a'), svc('b')]);
    const late: string[][] = [];
    const errors: unknown[] = [];
    const onlyA = (o: unknown) => {
      if ((o as KubeObject).metadata.name !== 'a') throw new Error('not a');
      return o as KubeObject;
    };
    watch(SERVICES, { parse: onlyA, onChange: (items) => late.push(names(items) as string[]), onError: (e) => errors.push(e) }, abort.signal);
    fake.push(SERVICES, [svc('a')]);
    expect(first).toEqual([['a', 'b'], ['a']]);
    expect(late).toEqual([['a'], ['a']]);
    expect(errors).toHaveLength(1);
  });

  it('stops the underlying watch when the last follower leaves, and starts a new one for the next', () => {
    const fake = new FakeWatch();
    const watch = sharedResourceWatch(fake.watch);
    const one = new AbortController();
    const two = new AbortController();
    watch(SERVICES, { parse: (o) => o as KubeObject, onChange: () => undefined }, one.signal);
    watch(SERVICES, { parse: (o) => o as KubeObject, onChange: () => undefined }, two.signal);
    one.abort();
    expect(fake.started[0]!.signal.aborted).toBe(false);
    two.abort();
    expect(fake.started[0]!.signal.aborted).toBe(true);
    watch(SERVICES, { parse: (o) => o as KubeObject, onChange: () => undefined }, new AbortController().signal);
    expect(fake.started).toHaveLength(2);
  });
});

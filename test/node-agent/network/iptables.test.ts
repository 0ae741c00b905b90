/**
 * The applier and the proxy's sync loop against a real netfilter in a throwaway namespace, with a rule of
 * "Docker's" that must survive. The proxy is fed by an in-memory ResourceWatch, so the number of restores per
 * burst of changes is exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../../shared/api/kinds/endpointslice.ts';
import type { Service } from '../../../shared/api/kinds/service.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { IptablesApplier, iptablesRestore, iptablesSave } from '../../../node-agent/network/iptables.ts';
import { runCommand } from '../../../node-agent/network/netns-command.ts';
import type { ResourceName, ResourceWatch, WatchHandlers } from '../../../node-agent/network/resource-watch.ts';
import { renderRules, type NodeNetwork } from '../../../node-agent/network/rules.ts';
import { startServiceProxy } from '../../../node-agent/network/service-proxy.ts';
import { LAB_PREFIX, hostIptables, oursIn, sweepLabs } from '../support/netns-lab.ts';
import { endpointSlice, service } from '../support/objects.ts';

const netns = `${LAB_PREFIX}-${process.pid}-ipt-n`;
const node: NodeNetwork = { name: 'n1', podCIDR: '10.244.1.0/24', clusterCIDR: '10.244.0.0/16' };
const web = service('default', 'web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] });
const api = service('default', 'api', { type: 'ClusterIP', clusterIP: '10.96.0.11', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
const slice = (svc: string, ...ips: string[]) => endpointSlice('default', svc, [{ name: 'http', port: 8080 }], ips.map((ip) => ({ ip, ready: true })), `${svc}-1`);
const DOCKER_RULE = '-A FORWARD -j DOCKER-USER';
let hostBefore: string;

/** A ResourceWatch over in-memory sets: `set` replaces a resource's objects and notifies synchronously. */
class FakeWatch {
  private readonly listeners = new Map<string, Array<(items: unknown[]) => void>>();
  private readonly current = new Map<string, unknown[]>();
  readonly watch: ResourceWatch = <T extends KubeObject>(name: ResourceName, handlers: WatchHandlers<T>) => {
    const notify = (items: unknown[]) => handlers.onChange(items.map((i) => handlers.parse(i)));
    this.listeners.set(name.resource, [...(this.listeners.get(name.resource) ?? []), notify]);
    const now = this.current.get(name.resource);
    if (now) notify(now);
  };
  set(resource: 'services' | 'endpointslices', items: Array<Service | EndpointSlice>): void {
    this.current.set(resource, items);
    for (const l of this.listeners.get(resource) ?? []) l(items);
  }
}

const ours = async () => (await iptablesSave({ netns })).split('\n').filter((l) => l.includes('ZP-'));

beforeAll(async () => {
  await sweepLabs();
  hostBefore = await hostIptables();
  await runCommand(['ip', 'netns', 'add', netns]);
  // Someone else's chain and jump, as Docker keeps them in the host's filter table.
  await iptablesRestore(`*filter\n:DOCKER-USER - [0:0]\n${DOCKER_RULE}\n-A DOCKER-USER -j RETURN\nCOMMIT\n`, { netns });
});

afterAll(async () => {
  await runCommand(['ip', 'netns', 'del', netns]).catch(() => {});
});

describe('IptablesApplier', () => {
  const applier = new IptablesApplier({ netns });

  it('installs our chains and jumps with one restore, next to rules that are not ours', async () => {
    const result = await applier.sync((existing) => renderRules([web, api], [slice('web', '10.244.1.11'), slice('api', '10.244.1.12')], node, { existingChains: existing }));
    expect(result).toMatchObject({ applied: true, fullCheck: true });
    const saved = await iptablesSave({ netns });
    expect(saved).toContain(DOCKER_RULE);
    expect(saved).toContain('-A PREROUTING -m comment --comment "zeroplane service portals" -j ZP-SERVICES');
    expect(saved).toContain('--to-destination 10.244.1.12:8080');
    // Our jump comes before Docker's, as kube-proxy's does.
    const forward = saved.split('\n').filter((l) => l.startsWith('-A FORWARD'));
    expect(forward.at(-1)).toBe(DOCKER_RULE);
  });

  it('skips a sync whose rules did not change', async () => {
    const result = await applier.sync((existing) => renderRules([web, api], [slice('web', '10.244.1.11'), slice('api', '10.244.1.12')], node, { existingChains: existing }));
    expect(result.applied).toBe(false);
  });

  it('deletes the chains of a removed service and keeps one jump of each kind', async () => {
    await applier.sync((existing) => renderRules([web], [slice('web', '10.244.1.11')], node, { existingChains: existing }));
    const saved = await iptablesSave({ netns });
    expect(saved).not.toContain('default/api');
    expect(saved).not.toContain('10.244.1.12');
    expect(saved.split('\n').filter((l) => l.includes('-j ZP-SERVICES') && l.startsWith('-A PREROUTING'))).toHaveLength(1);
  });

  it('restores only the chains that changed since the last sync', async () => {
    await applier.sync((existing) => renderRules([web], [slice('web', '10.244.1.11', '10.244.1.13')], node, { existingChains: existing }));
    const result = await applier.sync((existing) => renderRules([web], [slice('web', '10.244.1.11')], node, { existingChains: existing }));
    expect(result).toMatchObject({ applied: true, fullCheck: false });
    // *nat, the service chain and its rule, the dropped endpoint chain and its -X, COMMIT.
    expect(result.lines).toBeLessThan(10);
    const saved = await iptablesSave({ netns });
    expect(saved).not.toContain('10.244.1.13');
    expect(saved).toContain('--to-destination 10.244.1.11:8080');
  });

  it('puts back jumps someone removed, on the next full check', async () => {
    await runCommand(['iptables', '-t', 'nat', '-F', 'PREROUTING'], { netns });
    applier.requestFullCheck();
    const result = await applier.sync((existing) => renderRules([web], [slice('web', '10.244.1.11')], node, { existingChains: existing }));
    expect(result).toMatchObject({ applied: true, fullCheck: true });
    expect((await ours()).filter((l) => l.startsWith('-A PREROUTING'))).toHaveLength(1);
  });

  it('removes every rule and chain of ours and nothing else', async () => {
    await applier.removeAll();
    expect(await ours()).toEqual([]);
    expect(await iptablesSave({ netns })).toContain(DOCKER_RULE);
  });
});

describe('startServiceProxy sync loop', () => {
  it('coalesces a burst of 50 changes into one restore, applied within a second', async () => {
    const fake = new FakeWatch();
    fake.set('services', [web]);
    fake.set('endpointslices', [slice('web', '10.244.1.11')]);
    const proxy = await startServiceProxy({ watch: fake.watch, nodeName: 'n1', podCIDR: node.podCIDR, netns, log: () => {} });
    await proxy.ready;
    const before = proxy.stats().restores;
    const started = performance.now();
    for (let i = 0; i < 50; i++) fake.set('endpointslices', [slice('web', '10.244.1.11', `10.244.1.${100 + i}`)]);
    await expect.poll(async () => (await ours()).some((l) => l.includes('10.244.1.149:8080')), { timeout: 1000, interval: 20 }).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(proxy.stats().restores - before).toBe(1);
    expect((await ours()).some((l) => l.includes('10.244.1.148:8080'))).toBe(false);
    await proxy.stop({ removeRules: true });
    expect(await ours()).toEqual([]);
  });

  it('left the host namespace’s tables as they were', async () => {
    expect(oursIn(await hostIptables())).toEqual(oursIn(hostBefore));
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeMac, createPodNetwork, vethName, type PodNetwork } from '../../../node-agent/network/pod-network.ts';
import { createNetns, deleteNetns, sh } from '../support/throwaway.ts';

/** A process alone in a fresh network namespace: what a sandbox container is, without Docker. */
function isolatedProcess(): ChildProcess & { pid: number } {
  const child = spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('unshare did not start');
  return child as ChildProcess & { pid: number };
}

describe('vethName', () => {
  it.each([
    ['6f1c2b7e-0d7a-4c1e-9a57-3f0f1f2d9a10'],
    ['a'],
    ['a-very-long-pod-uid-that-is-much-longer-than-any-interface-name-could-be'],
  ])('derives a stable interface name of at most 15 characters from %s', (uid) => {
    const name = vethName(uid);
    expect(name).toMatch(/^zpv[0-9a-f]{11}$/);
    expect(name.length).toBeLessThanOrEqual(15);
    expect(vethName(uid)).toBe(name);
  });

  it('gives different pods different names', () => {
    expect(vethName('pod-a')).not.toBe(vethName('pod-b'));
  });
});

describe('createPodNetwork', () => {
  it.each([
    [{ bridge: 'zpbr0', gatewayCidr: '10.244.1.1' }, /gatewayCidr/],
    [{ bridge: 'zpbr0', gatewayCidr: '10.244.1.1/24', serviceCidr: '10.96.0.0/16; reboot' }, /serviceCidr/],
    [{ bridge: 'a-bridge-name-too-long', gatewayCidr: '10.244.1.1/24' }, /bridge/],
    [{ bridge: 'zpbr0\nlink del lo', gatewayCidr: '10.244.1.1/24' }, /bridge/],
    [{ netns: 'ns name', bridge: 'zpbr0', gatewayCidr: '10.244.1.1/24' }, /netns/],
  ])('refuses options that could not be passed safely to ip: %o', (options, message) => {
    expect(() => createPodNetwork(options)).toThrow(message);
  });
});

describe('PodNetwork in a throwaway network namespace', () => {
  let netns: string;
  let network: PodNetwork;
  const pods: Array<ChildProcess & { pid: number }> = [];
  const ipn = (...args: string[]) => sh(['ip', '-n', netns, ...args]);
  const inPod = (pid: number, ...argv: string[]) => sh(['nsenter', '-t', String(pid), '-n', ...argv]);

  beforeAll(async () => {
    netns = await createNetns('pn');
    network = createPodNetwork({ netns, bridge: 'zpbr0', gatewayCidr: '10.244.2.1/24', serviceCidr: '10.96.0.0/16' });
  });

  afterAll(async () => {
    for (const p of pods) p.kill('SIGKILL');
    await deleteNetns(netns);
  });

  it('brings the bridge up with the gateway address, the service route and ip_forward, idempotently', async () => {
    await network.ensureBridge();
    await network.ensureBridge();
    const link = await ipn('-o', 'link', 'show', 'dev', 'zpbr0');
    expect(link).toMatch(/state (UP|UNKNOWN)|<[^>]*UP[^>]*>/);
    expect(await ipn('-o', '-4', 'addr', 'show', 'dev', 'zpbr0')).toContain('inet 10.244.2.1/24');
    expect(await ipn('route', 'show', '10.96.0.0/16')).toMatch(/10\.96\.0\.0\/16 dev zpbr0 .*src 10\.244\.2\.1/);
    expect((await sh(['ip', 'netns', 'exec', netns, 'sysctl', '-n', 'net.ipv4.ip_forward'])).trim()).toBe('1');
    // No uplink: an outside address has no route at all (no packet can leave).
    await expect(ipn('route', 'get', '192.0.2.1')).rejects.toThrow(/unreachable/i);
    expect(network.gateway).toBe('10.244.2.1');
    expect(network.prefixLength).toBe(24);
  });

  it('attaches a process namespace as eth0 with its address, a default route and a hairpin bridge port', async () => {
    const pod = isolatedProcess();
    pods.push(pod);
    const { hostVeth } = await network.attach(pod.pid, '10.244.2.11', 'uid-one');
    expect(hostVeth).toBe(vethName('uid-one'));
    expect(await inPod(pod.pid, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0')).toContain('inet 10.244.2.11/24');
    expect(await inPod(pod.pid, 'ip', 'route', 'show', 'default')).toContain('default via 10.244.2.1 dev eth0');
    const port = await ipn('-d', 'link', 'show', 'dev', hostVeth);
    expect(port).toContain('master zpbr0');
    expect(port).toMatch(/hairpin on/);
    // The node reaches the pod, and nothing named eth0 was ever created in the node's namespace.
    await sh(['ip', 'netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', '10.244.2.11']);
    await expect(ipn('link', 'show', 'dev', 'eth0')).rejects.toThrow();
  });

  it('lets two attached pods reach each other over the bridge', async () => {
    const pod = isolatedProcess();
    pods.push(pod);
    await network.attach(pod.pid, '10.244.2.12', 'uid-two');
    await inPod(pod.pid, 'busybox', 'ping', '-c', '1', '-W', '2', '10.244.2.11');
  });

  it('replaces a stale veth of the same pod when a new sandbox is attached', async () => {
    const replacement = isolatedProcess();
    pods.push(replacement);
    // uid-two's first process still holds the old veth: the new attach must not fail with "File exists".
    await network.attach(replacement.pid, '10.244.2.12', 'uid-two');
    expect(await inPod(replacement.pid, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0')).toContain('inet 10.244.2.12/24');
    await sh(['ip', 'netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', '10.244.2.12']);
  });

  it('keeps the bridge MAC pinned while pod ports come and go (pods keep a valid ARP entry for their gateway)', async () => {
    const macOf = async () => /link\/ether (\S+)/.exec(await ipn('-o', 'link', 'show', 'dev', 'zpbr0'))?.[1];
    expect(await macOf()).toBe(bridgeMac('10.244.2.1'));
    // A port with a lower MAC than the bridge's would become the bridge's address if it were not pinned.
    const pod = isolatedProcess();
    pods.push(pod);
    await network.attach(pod.pid, '10.244.2.14', 'uid-low-mac');
    await ipn('link', 'set', 'dev', vethName('uid-low-mac'), 'address', '02:00:00:00:00:01');
    expect(await macOf()).toBe(bridgeMac('10.244.2.1'));
    await network.detach('uid-low-mac');
    expect(await macOf()).toBe(bridgeMac('10.244.2.1'));
  });

  it('refuses a pod IP that is not an IPv4 address before running anything', async () => {
    const pod = pods[0]!;
    await expect(network.attach(pod.pid, '10.244.2.13/24\nlink del zpbr0', 'uid-x')).rejects.toThrow(/invalid pod IP/);
    await expect(network.attach(0, '10.244.2.13', 'uid-x')).rejects.toThrow(/invalid pid/);
    await ipn('link', 'show', 'dev', 'zpbr0');
  });

  it('detaches a pod idempotently, removing both ends of its veth', async () => {
    const pod = pods[0]!;
    await network.detach('uid-one');
    await network.detach('uid-one');
    await expect(ipn('link', 'show', 'dev', vethName('uid-one'))).rejects.toThrow();
    await expect(inPod(pod.pid, 'ip', 'link', 'show', 'dev', 'eth0')).rejects.toThrow();
  });

  it('tears down every pod veth and the bridge, idempotently', async () => {
    await network.teardown();
    await network.teardown();
    await expect(ipn('link', 'show', 'dev', 'zpbr0')).rejects.toThrow();
    expect(await ipn('-o', 'link', 'show')).not.toMatch(/zpv/);
  });
});

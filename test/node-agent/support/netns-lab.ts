/**
 * A throwaway node network for real-packet tests (local-stack.md §5): a node namespace with a pod bridge and no
 * uplink, a client namespace whose only route leads into the node namespace, and pods as real busybox
 * containers started with `--network none` and wired CNI-style. Nothing is added to the host namespace.
 * Names carry the test process id, so the sweeper removes what crashed runs left without touching live ones.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const LAB_PREFIX = 'zp-test-net';
const LABEL = 'zp-test-network';

export interface LabPod {
  name: string;
  ip: string;
  containerId: string;
  /** Runs a command in the container (`docker exec`). */
  exec(...argv: string[]): Promise<string>;
}

export interface Lab {
  node: string;
  client: string;
  bridge: string;
  bridgeIP: string;
  podCIDR: string;
  /** The node's address as the client sees it. */
  nodeIP: string;
  pods: LabPod[];
  addPod(name: string, ip: string, body: string): Promise<LabPod>;
  /** Runs a shell script inside a namespace (host tools: busybox wget/nslookup). */
  inNetns(netns: string, script: string, timeoutMs?: number): Promise<string>;
  destroy(): Promise<void>;
}

async function sh(argv: string[], timeoutMs = 20_000): Promise<string> {
  const { stdout } = await exec(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20 });
  return stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes lab namespaces and containers whose test process is gone (crashed runs). */
export async function sweepLabs(): Promise<void> {
  const names = (await sh(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${LAB_PREFIX}-`));
  for (const name of names) {
    const pid = Number(/-(\d+)-/.exec(name.slice(LAB_PREFIX.length))?.[1]);
    if (pid && !alive(pid)) await sh(['ip', 'netns', 'del', name]).catch(() => {});
  }
  const containers = (await sh(['docker', 'ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.ID}} {{.Label "zp-test-pid"}}'])).split('\n').filter(Boolean);
  const dead = containers.map((l) => l.split(' ')).filter(([, pid]) => !alive(Number(pid))).map(([id]) => id!);
  if (dead.length) await sh(['docker', 'rm', '-f', ...dead]).catch(() => {});
}

/** The host namespace's filter and nat tables without counters (what tests must leave as they found it). */
export async function hostIptables(): Promise<string> {
  const text = (await sh(['iptables-save', '-t', 'filter'])) + (await sh(['iptables-save', '-t', 'nat']));
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n');
}

/** The lines of a host table dump that could only come from these tests. */
export function oursIn(tables: string): string[] {
  return tables.split('\n').filter((l) => /ZP-|zeroplane|10\.96\.|10\.244\.|10\.250\./.test(l));
}

/** Creates the node and client namespaces (`tag` keeps concurrent test files apart). */
export async function createLab(tag: string): Promise<Lab> {
  const id = `${process.pid}-${tag}`;
  const node = `${LAB_PREFIX}-${id}-n`;
  const client = `${LAB_PREFIX}-${id}-c`;
  const bridge = 'zbr0';
  const bridgeIP = '10.244.1.1';
  const nodeIP = '10.250.0.1';
  const pods: LabPod[] = [];
  let veths = 0;
  const containers: string[] = [];
  const ipn = (ns: string, ...args: string[]) => sh(['ip', '-n', ns, ...args]);
  await sh(['ip', 'netns', 'add', node]);
  await sh(['ip', 'netns', 'add', client]);
  await ipn(node, 'link', 'set', 'lo', 'up');
  await ipn(client, 'link', 'set', 'lo', 'up');
  await sh(['ip', 'netns', 'exec', node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await ipn(node, 'link', 'add', bridge, 'type', 'bridge');
  await ipn(node, 'addr', 'add', `${bridgeIP}/24`, 'dev', bridge);
  await ipn(node, 'link', 'set', bridge, 'up');
  await ipn(node, 'link', 'add', 'zcl0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client);
  await ipn(node, 'addr', 'add', `${nodeIP}/30`, 'dev', 'zcl0');
  await ipn(node, 'link', 'set', 'zcl0', 'up');
  await ipn(client, 'addr', 'add', '10.250.0.2/30', 'dev', 'eth0');
  await ipn(client, 'link', 'set', 'eth0', 'up');
  await ipn(client, 'route', 'add', 'default', 'via', nodeIP);

  const addPod = async (name: string, ip: string, body: string): Promise<LabPod> => {
    const host = `zv${veths++}`;
    const script = `mkdir -p /www && echo ${body} >/www/index.html && exec httpd -f -p 8080 -h /www`;
    const cid = (
      await sh(['docker', 'run', '-d', '--network', 'none', '--label', LABEL, '--label', `zp-test-pid=${process.pid}`, '--name', `${node}-${name}`, 'zp/busybox:1', 'sh', '-c', script])
    ).trim();
    containers.push(cid);
    const pid = (await sh(['docker', 'inspect', '-f', '{{.State.Pid}}', cid])).trim();
    await ipn(node, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pid);
    await ipn(node, 'link', 'set', host, 'master', bridge, 'up');
    // A pod reaching a Service that picks the pod itself: the reply must go back out the port it came in.
    await ipn(node, 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on');
    const inPod = (...args: string[]) => sh(['nsenter', '-t', pid, '-n', 'ip', ...args]);
    await inPod('addr', 'add', `${ip}/24`, 'dev', 'eth0');
    await inPod('link', 'set', 'eth0', 'up');
    await inPod('route', 'add', 'default', 'via', bridgeIP);
    const pod: LabPod = { name, ip, containerId: cid, exec: (...argv) => sh(['docker', 'exec', cid, ...argv]) };
    pods.push(pod);
    return pod;
  };

  return {
    node,
    client,
    bridge,
    bridgeIP,
    podCIDR: '10.244.1.0/24',
    nodeIP,
    pods,
    addPod,
    inNetns: (ns, script, timeoutMs) => sh(['ip', 'netns', 'exec', ns, 'sh', '-c', script], timeoutMs),
    destroy: async () => {
      if (containers.length) await sh(['docker', 'rm', '-f', ...containers]).catch(() => {});
      await sh(['ip', 'netns', 'del', client]).catch(() => {});
      await sh(['ip', 'netns', 'del', node]).catch(() => {});
    },
  };
}

/** Which body answered each of `count` GETs of `url` from a namespace (`-` for a failed request). */
export async function bodies(lab: Lab, netns: string, url: string, count: number): Promise<string[]> {
  const script = `for i in $(seq ${count}); do timeout 3 busybox wget -qO- ${url} 2>/dev/null || echo -; done`;
  return (await lab.inNetns(netns, script, 60_000)).split('\n').filter(Boolean);
}

export function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}


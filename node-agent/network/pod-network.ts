/**
 * The node's pod network, wired the way a CNI bridge plugin does it: one Linux bridge holding the gateway address
 * of the node's pod CIDR, and per pod a veth pair whose peer is created directly inside the sandbox's network
 * namespace as `eth0` (local-stack.md §5).
 *
 * Every command is `ip`/`nsenter` run through execFile (no shell); several `ip` commands go in one process through
 * `ip -batch -` on stdin, every argument validated first so no input can smuggle a second command into a batch.
 * `netns` names the namespace holding the node's network plane: tests pass a throwaway one with no route off the
 * machine; production passes none, meaning the host namespace.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

export interface PodNetworkOptions {
  /** Named network namespace holding the bridge (`ip netns add …`); undefined: the host namespace. */
  netns?: string;
  /** Bridge device name, e.g. `zpbr0`. */
  bridge: string;
  /** The gateway address with the pod CIDR's prefix, e.g. `10.244.1.1/24`. */
  gatewayCidr: string;
  /**
   * The service CIDR. Inside a netns without a default route, traffic the node itself sends to a ClusterIP fails
   * with ENETUNREACH before nat OUTPUT can DNAT it, so the range gets a route onto the bridge. Not added in the host
   * namespace, whose default route already covers it.
   */
  serviceCidr?: string;
}

export interface PodAttachment {
  /** The node-side end of the pod's veth, enslaved to the bridge. */
  hostVeth: string;
}

export interface PodNetwork {
  readonly bridge: string;
  /** The gateway address (no prefix): the pods' default route and the node's address on the bridge. */
  readonly gateway: string;
  readonly prefixLength: number;
  readonly netns: string | undefined;
  /** Bridge present and up with the gateway address (idempotent); ip_forward on; service route in a netns. */
  ensureBridge(): Promise<void>;
  /** Wires the network namespace of process `pid` (a sandbox) to the bridge with `ip`; replaces a stale veth. */
  attach(pid: number, ip: string, podUid: string): Promise<PodAttachment>;
  /** Deletes the pod's veth (both ends); a missing one is not an error. */
  detach(podUid: string): Promise<void>;
  /** Deletes every pod veth on the bridge and the bridge itself (idempotent). */
  teardown(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const VETH_PREFIX = 'zpv';

function parseCidr(cidr: string, what: string): { address: string; prefix: number } {
  const [address, prefixText, extra] = cidr.split('/');
  const prefix = Number(prefixText);
  if (extra !== undefined || !address || !IPV4.test(address) || !/^\d{1,2}$/.test(prefixText ?? '') || prefix > 32) {
    throw new Error(`invalid ${what} ${JSON.stringify(cidr)}: expected a.b.c.d/prefix`);
  }
  return { address, prefix };
}

/**
 * The bridge's MAC: locally administered, derived from the gateway address so it never changes. A Linux bridge
 * without an explicit address takes the lowest MAC of its ports, so it changes whenever a pod's veth with a lower
 * one comes or goes; every pod then holds a stale ARP entry for its gateway and loses DNS and egress until that
 * entry expires (15–45 s). Setting the address pins it (addr_assign_type "set"), as Docker and CNI bridges do.
 */
export function bridgeMac(gateway: string): string {
  return ['02', '5a', ...gateway.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

function requireIp(ip: string): string {
  if (!IPV4.test(ip)) throw new Error(`invalid pod IP ${JSON.stringify(ip)}`);
  return ip;
}

/** `zpv` + 11 hex digits of the uid's hash: 14 characters (IFNAMSIZ allows 15), stable for any uid text. */
export function vethName(podUid: string): string {
  return VETH_PREFIX + createHash('sha256').update(podUid).digest('hex').slice(0, 11);
}

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly stderr: string,
    readonly exitCode: number | undefined,
  ) {
    super(`${command.join(' ')} failed (${exitCode ?? 'signal'}): ${stderr.trim()}`);
  }
}

/** Runs a program without a shell, optionally feeding stdin; rejects with CommandError on a non-zero exit. */
export function runCommand(file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof error.code === 'number' ? error.code : undefined;
        reject(new CommandError([file, ...args], String(stderr || error.message), code));
      } else resolve(String(stdout));
    });
    // A program that exits without reading its stdin must not turn into an EPIPE on our side.
    child.stdin?.on('error', () => {});
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

const isMissingDevice = (e: unknown): boolean =>
  e instanceof CommandError && /Cannot find device|does not exist|No such device/i.test(e.stderr);

export function createPodNetwork(options: PodNetworkOptions): PodNetwork {
  const { netns, bridge } = options;
  if (netns !== undefined && !NETNS.test(netns)) throw new Error(`invalid netns name ${JSON.stringify(netns)}`);
  if (!NAME.test(bridge)) throw new Error(`invalid bridge name ${JSON.stringify(bridge)}`);
  const gw = parseCidr(options.gatewayCidr, 'gatewayCidr');
  const serviceCidr = options.serviceCidr === undefined ? undefined : parseCidr(options.serviceCidr, 'serviceCidr');
  const nsArgs = netns === undefined ? [] : ['-n', netns];

  /** `ip` in the node's namespace. */
  const ip = (...args: string[]) => runCommand('ip', [...nsArgs, ...args]);
  const ipBatch = (lines: string[]) => runCommand('ip', [...nsArgs, '-batch', '-'], lines.join('\n') + '\n');

  async function setIpForward(): Promise<void> {
    // sysctl values are per network namespace; `ip netns exec` also remounts /proc/sys for that namespace.
    const cmd = ['sysctl', '-qw', 'net.ipv4.ip_forward=1'];
    if (netns === undefined) await runCommand(cmd[0]!, cmd.slice(1));
    else await runCommand('ip', ['netns', 'exec', netns, ...cmd]);
  }

  async function bridgeExists(): Promise<boolean> {
    try {
      await ip('link', 'show', 'dev', bridge);
      return true;
    } catch (e) {
      if (isMissingDevice(e)) return false;
      throw e;
    }
  }

  async function podVeths(): Promise<string[]> {
    const out = await ip('-o', 'link', 'show', 'master', bridge).catch((e: unknown) => {
      if (isMissingDevice(e)) return '';
      throw e;
    });
    // Lines look like `12: zpv0123abcd4567@if2: <BROADCAST,…> …`.
    return [...out.matchAll(/^\d+:\s+([^:@\s]+)/gm)].map((m) => m[1]!).filter((n) => n.startsWith(VETH_PREFIX));
  }

  return {
    bridge,
    gateway: gw.address,
    prefixLength: gw.prefix,
    netns,

    async ensureBridge() {
      const lines: string[] = [];
      if (!(await bridgeExists())) lines.push(`link add ${bridge} type bridge`);
      if (netns !== undefined) lines.push('link set lo up');
      lines.push(`link set dev ${bridge} address ${bridgeMac(gw.address)}`);
      lines.push(`address replace ${gw.address}/${gw.prefix} dev ${bridge}`, `link set ${bridge} up`);
      if (serviceCidr && netns !== undefined) {
        lines.push(`route replace ${serviceCidr.address}/${serviceCidr.prefix} dev ${bridge} src ${gw.address}`);
      }
      await ipBatch(lines);
      await setIpForward();
    },

    async attach(pid, podIp, podUid) {
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
      requireIp(podIp);
      const veth = vethName(podUid);
      const hostSide = [
        // The peer is born inside the sandbox's namespace, so no interface named eth0 ever exists on the node.
        `link add ${veth} type veth peer name eth0 netns ${pid}`,
        `link set ${veth} master ${bridge}`,
        `link set ${veth} up`,
        // Hairpin: a pod reaching a Service whose DNAT picks the pod itself sends the packet back out its own port.
        `link set ${veth} type bridge_slave hairpin on`,
      ];
      try {
        await ipBatch(hostSide);
      } catch (e) {
        if (!(e instanceof CommandError && /File exists/.test(e.stderr))) throw e;
        // A veth of an earlier sandbox of this pod (agent died mid-wiring, or a replaced sandbox): start over.
        await ip('link', 'del', veth).catch((err: unknown) => {
          if (!isMissingDevice(err)) throw err;
        });
        await ipBatch(hostSide);
      }
      await runCommand('nsenter', ['-t', String(pid), '-n', 'ip', '-batch', '-'], [
        'link set lo up',
        `address add ${podIp}/${gw.prefix} dev eth0`,
        'link set eth0 up',
        `route add default via ${gw.address} dev eth0`,
      ].join('\n') + '\n');
      return { hostVeth: veth };
    },

    async detach(podUid) {
      try {
        await ip('link', 'del', vethName(podUid));
      } catch (e) {
        if (!isMissingDevice(e)) throw e;
      }
    },

    async teardown() {
      const veths = await podVeths();
      for (const veth of veths) {
        await ip('link', 'del', veth).catch((e: unknown) => {
          if (!isMissingDevice(e)) throw e;
        });
      }
      await ip('link', 'del', bridge).catch((e: unknown) => {
        if (!isMissingDevice(e)) throw e;
      });
    },
  };
}

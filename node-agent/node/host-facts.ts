/**
 * What the host tells about itself for the Node object: capacity (CPU, memory, pods, ephemeral storage), the
 * addresses, and nodeInfo. Read once at start (I/O here, the Node is built from these facts by node-object.ts).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, release, totalmem } from 'node:os';

/** The kubelet's default maxPods. */
export const MAX_PODS = 110;

export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes?: number;
  /** The first non-loopback IPv4 address, when the operator did not name one. */
  internalIP: string;
  /** `amd64`, `arm64` (Go's GOARCH, as kubernetes.io/arch carries it). */
  arch: string;
  kernelVersion: string;
  osImage: string;
  machineID: string;
}

export function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release', ''));
  return m?.[1] ?? 'Linux';
}

export function readHostFacts(dataDir: string): HostFacts {
  let ephemeralStorageBytes: number | undefined;
  try {
    const s = statfsSync(dataDir);
    ephemeralStorageBytes = s.blocks * s.bsize;
  } catch {
    ephemeralStorageBytes = undefined;
  }
  const facts: HostFacts = {
    hostname: hostname(),
    cpus: cpus().length,
    memoryBytes: totalmem(),
    internalIP: firstIPv4(),
    arch: goArch(arch()),
    kernelVersion: release(),
    osImage: osImage(),
    machineID: readOr('/etc/machine-id', '').trim(),
  };
  if (ephemeralStorageBytes !== undefined) facts.ephemeralStorageBytes = ephemeralStorageBytes;
  return facts;
}

/** The host's resolv.conf nameservers and search domains (for dnsPolicy Default and host search paths). */
export function readHostResolvConf(path = '/etc/resolv.conf'): { nameservers: string[]; searches: string[] } {
  const nameservers: string[] = [];
  const searches: string[] = [];
  for (const line of readOr(path, '').split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) nameservers.push(rest[0]);
    if (key === 'search') searches.splice(0, searches.length, ...rest);
  }
  return { nameservers, searches };
}

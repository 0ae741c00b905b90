/**
 * kube-proxy's iptables mode as one pure function: Services and EndpointSlices in, the complete
 * `iptables-restore --noflush` text out (pkg/proxy/iptables/proxier.go's syncProxyRules, with ZP- chains).
 *
 * - nat: ZP-SERVICES matches each ClusterIP:port (and external/LB IPs) and jumps to ZP-SVC-<hash>, which spreads
 *   over the ready endpoints with `-m statistic --mode random --probability 1/n, 1/(n-1), …` and an unconditional
 *   last rule; each ZP-SEP-<hash> marks hairpin traffic for masquerade and DNATs. NodePorts are matched in
 *   ZP-NODEPORTS, reached from ZP-SERVICES for any local destination address (`addrtype LOCAL`, which includes
 *   127.0.0.1 once route_localnet=1 is set). ZP-POSTROUTING masquerades what carries the 0x4000 mark.
 * - filter: REJECT for service ports without endpoints, forwarding accepts for marked and pod traffic, and the
 *   drop of martian 127/8 traffic that route_localnet would otherwise let in.
 * - Our chains are declared (which flushes them under --noflush) so other rules on the host (Docker's) survive;
 *   chains of removed services, passed in `existingChains`, are flushed and deleted (`-X`).
 * - The jumps from the built-in chains are not part of the text (they would be appended again on every sync);
 *   the adapter ensures JUMP_RULES once, or the text is rendered with `includeJumps` for a fresh namespace.
 */
import type { EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import type { Service } from '../../shared/api/kinds/service.ts';
import { endpointChainName, serviceChainName } from './chain-names.ts';
import { servicePorts, usableEndpoints, type ServicePortInfo } from './service-endpoints.ts';

export const MASQ_MARK = '0x4000';

export interface NodeNetwork {
  name: string;
  /** This node's pod CIDR (`10.244.1.0/24`). */
  podCIDR: string;
  /** The whole cluster's pod range; traffic to a ClusterIP from outside it is masqueraded. Default: podCIDR. */
  clusterCIDR?: string;
  /**
   * The addresses NodePorts answer on (kube-proxy's --nodeport-addresses), 127.0.0.1 always included. Default:
   * every local address (`addrtype LOCAL`).
   */
  nodePortAddresses?: string[];
}

export interface RenderOptions {
  /** Chains currently in the tables (from `iptables-save`); ZP- chains no longer rendered are deleted. */
  existingChains?: { filter?: string[]; nat?: string[] };
  /** Also append the built-in chains' jumps (only for a full restore into a fresh namespace). */
  includeJumps?: boolean;
}

export interface JumpRule {
  table: 'filter' | 'nat';
  chain: string;
  args: string[];
}

/** The jumps from the built-in chains into ours (kube-proxy's iptablesJumpChains). */
export const JUMP_RULES: JumpRule[] = [
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'zeroplane externally-visible service portals', '-j', 'ZP-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'zeroplane service portals', '-j', 'ZP-SERVICES'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'zeroplane service portals', '-j', 'ZP-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'zeroplane forwarding rules', '-j', 'ZP-FORWARD'] },
  { table: 'filter', chain: 'INPUT', args: ['-j', 'ZP-FIREWALL'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-j', 'ZP-FIREWALL'] },
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'zeroplane service portals', '-j', 'ZP-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'zeroplane service portals', '-j', 'ZP-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'zeroplane postrouting rules', '-j', 'ZP-POSTROUTING'] },
];

/** A probability as iptables-save prints it: quantized to the kernel's u32 fraction of 2^31, 11 decimals. */
export function formatProbability(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

/** Arguments quoted the way iptables-save quotes them (comments always in double quotes). */
function comment(text: string): string {
  return `-m comment --comment "${text.replace(/["\\]/g, '\\$&')}"`;
}

function proto(info: ServicePortInfo): { p: string; m: string } {
  const p = info.protocol.toLowerCase();
  return { p: `-p ${p}`, m: `-m ${p}` };
}

class Table {
  readonly chains = new Set<string>();
  readonly rules: string[] = [];
  constructor(readonly name: string) {}
  chain(name: string): void {
    this.chains.add(name);
  }
  add(chain: string, rule: string): void {
    this.rules.push(`-A ${chain} ${rule}`);
  }
  render(existing: string[] = [], jumps: JumpRule[] = []): string {
    const stale = existing.filter((c) => c.startsWith('ZP-') && !this.chains.has(c));
    const declared = [...new Set([...this.chains, ...stale])].sort();
    const lines = [`*${this.name}`, ...declared.map((c) => `:${c} - [0:0]`)];
    for (const j of jumps.filter((j) => j.table === this.name)) lines.push(`-A ${j.chain} ${j.args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
    lines.push(...this.rules);
    for (const c of [...new Set(stale)].sort()) lines.push(`-X ${c}`);
    lines.push('COMMIT');
    return lines.join('\n');
  }
}

function renderServicePort(info: ServicePortInfo, node: NodeNetwork, filter: Table, nat: Table, nodePortRules: string[][]): string[] {
  const { p, m } = proto(info);
  const spn = info.servicePortName;
  const endpoints = usableEndpoints(info.endpoints);
  const svcChain = serviceChainName(spn, info.protocol);
  const lines: string[] = [];
  if (endpoints.length === 0) {
    const reject = '-j REJECT --reject-with icmp-port-unreachable';
    filter.add('ZP-SERVICES', `-d ${info.clusterIP}/32 ${p} ${comment(`${spn} has no endpoints`)} ${m} --dport ${info.port} ${reject}`);
    for (const ip of info.externalIPs) filter.add('ZP-EXTERNAL-SERVICES', `-d ${ip}/32 ${p} ${comment(`${spn} has no endpoints`)} ${m} --dport ${info.port} ${reject}`);
    if (info.nodePort) {
      filter.add('ZP-EXTERNAL-SERVICES', `${p} ${comment(`${spn} has no endpoints`)} -m addrtype --dst-type LOCAL ${m} --dport ${info.nodePort} ${reject}`);
    }
    return lines;
  }
  nat.chain(svcChain);
  nat.add('ZP-SERVICES', `-d ${info.clusterIP}/32 ${p} ${comment(`${spn} cluster IP`)} ${m} --dport ${info.port} -j ${svcChain}`);
  for (const ip of info.externalIPs) {
    nat.add('ZP-SERVICES', `-d ${ip}/32 ${p} ${comment(`${spn} external IP`)} ${m} --dport ${info.port} -j ZP-MARK-MASQ`);
    nat.add('ZP-SERVICES', `-d ${ip}/32 ${p} ${comment(`${spn} external IP`)} ${m} --dport ${info.port} -j ${svcChain}`);
  }
  if (info.nodePort) {
    // Traffic from outside (or from 127.0.0.1) must come back through this node: always masquerade it.
    nodePortRules.push([`${p} ${comment(spn)} ${m} --dport ${info.nodePort} -j ZP-MARK-MASQ`, `${p} ${comment(spn)} ${m} --dport ${info.nodePort} -j ${svcChain}`]);
  }
  const clusterCIDR = node.clusterCIDR ?? node.podCIDR;
  lines.push(`-A ${svcChain} ! -s ${clusterCIDR} -d ${info.clusterIP}/32 ${p} ${comment(`${spn} cluster IP`)} ${m} --dport ${info.port} -j ZP-MARK-MASQ`);
  const sepRules: string[] = [];
  endpoints.forEach((ep, i) => {
    const target = `${ep.ip}:${ep.port}`;
    const sepChain = endpointChainName(spn, info.protocol, target);
    nat.chain(sepChain);
    const remaining = endpoints.length - i;
    const statistic = remaining > 1 ? ` -m statistic --mode random --probability ${formatProbability(1 / remaining)}` : '';
    lines.push(`-A ${svcChain} ${comment(`${spn} -> ${target}`)}${statistic} -j ${sepChain}`);
    // Hairpin: a pod reaching itself through the service must see the node as the source, or it drops the reply.
    sepRules.push(`-A ${sepChain} -s ${ep.ip}/32 ${comment(spn)} -j ZP-MARK-MASQ`);
    sepRules.push(`-A ${sepChain} ${p} ${comment(spn)} ${m} -j DNAT --to-destination ${target}`);
  });
  return [...lines, ...sepRules];
}

/** The whole ruleset for this node. Deterministic: equal inputs give byte-equal text. */
export function renderRules(services: Service[], endpointSlices: EndpointSlice[], node: NodeNetwork, options: RenderOptions = {}): string {
  const filter = new Table('filter');
  const nat = new Table('nat');
  for (const c of ['ZP-EXTERNAL-SERVICES', 'ZP-FIREWALL', 'ZP-FORWARD', 'ZP-SERVICES']) filter.chain(c);
  for (const c of ['ZP-MARK-MASQ', 'ZP-NODEPORTS', 'ZP-POSTROUTING', 'ZP-SERVICES']) nat.chain(c);

  nat.add('ZP-MARK-MASQ', `-j MARK --or-mark ${MASQ_MARK}`);
  const clusterCIDR = node.clusterCIDR ?? node.podCIDR;
  // Pods reaching beyond the cluster leave with the node's address (the CNI bridge plugin's ipMasq).
  nat.add('ZP-POSTROUTING', `-s ${node.podCIDR} ! -d ${clusterCIDR} ${comment('pod egress')} -j MASQUERADE`);
  nat.add('ZP-POSTROUTING', `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  nat.add('ZP-POSTROUTING', `-j MARK --xor-mark ${MASQ_MARK}`);
  nat.add('ZP-POSTROUTING', `${comment('zeroplane service traffic requiring SNAT')} -j MASQUERADE`);

  const chainRules: string[] = [];
  const nodePortRules: string[][] = [];
  // Headless and ExternalName services have no virtual IP: nothing to proxy (DNS answers for them).
  for (const info of servicePorts(services, endpointSlices).filter((s) => s.clusterIP)) {
    chainRules.push(...renderServicePort(info, node, filter, nat, nodePortRules));
  }
  const nodePortsComment = comment('zeroplane service nodeports; NOTE: this must be the last rule in this chain');
  if (node.nodePortAddresses) {
    for (const ip of [...new Set([...node.nodePortAddresses, '127.0.0.1'])]) nat.add('ZP-SERVICES', `-d ${ip}/32 ${nodePortsComment} -j ZP-NODEPORTS`);
  } else {
    nat.add('ZP-SERVICES', `${nodePortsComment} -m addrtype --dst-type LOCAL -j ZP-NODEPORTS`);
  }
  for (const pair of nodePortRules) for (const r of pair) nat.add('ZP-NODEPORTS', r);
  nat.rules.push(...chainRules);

  filter.add('ZP-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.add('ZP-FORWARD', `${comment('zeroplane forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`);
  filter.add('ZP-FORWARD', `${comment('zeroplane forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  filter.add('ZP-FORWARD', `-s ${node.podCIDR} ${comment('pod traffic')} -j ACCEPT`);
  filter.add('ZP-FORWARD', `-d ${node.podCIDR} ${comment('pod traffic')} -j ACCEPT`);
  filter.add('ZP-FIREWALL', `! -s 127.0.0.0/8 -d 127.0.0.0/8 ${comment('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);

  const jumps = options.includeJumps ? JUMP_RULES : [];
  // Filter rules in chain order (REJECTs first, as they were added per service), for readable output.
  filter.rules.sort((a, b) => chainOrder(a) - chainOrder(b));
  return `${filter.render(options.existingChains?.filter, jumps)}\n${nat.render(options.existingChains?.nat, jumps)}\n`;
}

const FILTER_ORDER = ['ZP-SERVICES', 'ZP-EXTERNAL-SERVICES', 'ZP-FORWARD', 'ZP-FIREWALL'];
function chainOrder(rule: string): number {
  return FILTER_ORDER.indexOf(rule.split(' ')[1] ?? '');
}

/** The ZP- chains of a table in `iptables-save` output (to pass as existingChains). */
export function chainsInSave(saveText: string, table: 'filter' | 'nat'): string[] {
  const chains: string[] = [];
  let current = '';
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1).trim();
    else if (current === table && line.startsWith(':ZP-')) chains.push(line.slice(1).split(' ')[0]!);
  }
  return chains;
}

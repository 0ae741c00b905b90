/**
 * kube-proxy for this node: follows Services and EndpointSlices, renders the whole ruleset (rules.ts) and
 * applies it with one iptables-restore (iptables.ts). Changes are coalesced: the first change arms a short timer
 * (`coalesceMs`), changes arriving meanwhile or during a sync ride along with the next one, so a burst costs one
 * or two restores and any change is applied well within a second. Nothing is applied before both resources have
 * been listed once, so a restart never wipes working rules with an empty set.
 *
 * NodePorts answer on the node's addresses and on 127.0.0.1: the latter needs route_localnet=1 (set here, in the
 * node's namespace). With `serviceRoute`, the service CIDR is routed into the pod bridge, so a ClusterIP packet
 * that matches no rule dies on the bridge instead of following the default route off the machine, and the node's
 * own connections to a ClusterIP get past the route lookup to the nat OUTPUT DNAT (local-stack.md §5).
 */
import { EndpointSliceSchema, type EndpointSlice } from '../../shared/api/kinds/endpointslice.ts';
import { ServiceSchema, type Service } from '../../shared/api/kinds/service.ts';
import { IptablesApplier, type SyncResult } from './iptables.ts';
import { runCommand, setSysctl } from './netns-command.ts';
import { ENDPOINT_SLICES, SERVICES, type ResourceWatch } from './resource-watch.ts';
import { renderRules, type NodeNetwork } from './rules.ts';

export interface ServiceProxyOptions {
  watch: ResourceWatch;
  nodeName: string;
  /** This node's pod CIDR (`10.244.1.0/24`). */
  podCIDR: string;
  /** The cluster's pod range; default podCIDR. */
  clusterCIDR?: string;
  /** Addresses NodePorts answer on besides 127.0.0.1; default every local address. */
  nodeIPs?: string[];
  /** The node's network namespace; undefined is the host's. */
  netns?: string;
  /** With serviceRoute: the service range (`10.96.0.0/12`). */
  serviceCidr?: string;
  /** Route serviceCidr into this device (the pod bridge), from this source address. */
  serviceRoute?: { dev: string; src?: string };
  /** Delay between the first change and its sync. Default 50 ms. */
  coalesceMs?: number;
  /** A full check of the tables (iptables-save) this often. Default 60 s. */
  fullCheckIntervalMs?: number;
  /** Pause before retrying a failed sync. Default 1000 ms. */
  retryDelayMs?: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface ServiceProxyStats {
  syncs: number;
  restores: number;
  lastSync?: SyncResult & { at: number; services: number; slices: number };
  lastError?: string;
}

export interface ServiceProxy {
  /** Resolves after the first successful sync. */
  ready: Promise<void>;
  stats(): ServiceProxyStats;
  /** Stops following; with `removeRules`, also deletes every rule, chain and route of ours (kube-proxy --cleanup). */
  stop(options?: { removeRules?: boolean }): Promise<void>;
}

const ROUTE_LOCALNET = 'net.ipv4.conf.all.route_localnet';

export async function startServiceProxy(options: ServiceProxyOptions): Promise<ServiceProxy> {
  const log = options.log ?? ((message, fields) => console.log(JSON.stringify({ component: 'service-proxy', message, ...fields })));
  const node: NodeNetwork = { name: options.nodeName, podCIDR: options.podCIDR };
  if (options.clusterCIDR) node.clusterCIDR = options.clusterCIDR;
  if (options.nodeIPs) node.nodePortAddresses = options.nodeIPs;
  const iptables = new IptablesApplier({ netns: options.netns });
  const coalesceMs = options.coalesceMs ?? 50;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  const previousLocalnet = await setSysctl(ROUTE_LOCALNET, '1', options.netns);
  const route = options.serviceRoute && options.serviceCidr
    ? ['route', 'replace', options.serviceCidr, 'dev', options.serviceRoute.dev, ...(options.serviceRoute.src ? ['src', options.serviceRoute.src] : [])]
    : undefined;
  if (route) await runCommand(['ip', ...route], { netns: options.netns });

  let services: Service[] | undefined;
  let slices: EndpointSlice[] | undefined;
  const stats: ServiceProxyStats = { syncs: 0, restores: 0 };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let markReady!: () => void;
  const ready = new Promise<void>((res) => (markReady = res));

  const sync = async (): Promise<void> => {
    if (!services || !slices) return;
    const svcs = services;
    const eps = slices;
    stats.syncs++;
    try {
      const result = await iptables.sync((existing) => renderRules(svcs, eps, node, { existingChains: existing }));
      if (result.applied) stats.restores++;
      stats.lastSync = { ...result, at: Date.now(), services: svcs.length, slices: eps.length };
      delete stats.lastError;
      markReady();
    } catch (err) {
      stats.lastError = err instanceof Error ? err.message : String(err);
      log('sync failed', { node: options.nodeName, error: stats.lastError });
      dirty = true;
      schedule(retryDelayMs);
    }
  };

  function schedule(delayMs = coalesceMs): void {
    if (stopped) return;
    if (running || timer) {
      dirty = true;
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      dirty = false;
      running = sync().finally(() => {
        running = undefined;
        if (dirty) schedule();
      });
    }, delayMs);
  }

  const fullCheck = setInterval(() => {
    iptables.requestFullCheck();
    schedule();
  }, options.fullCheckIntervalMs ?? 60_000);
  fullCheck.unref();

  const abort = new AbortController();
  const onError = (err: unknown) => log('watch failed', { node: options.nodeName, error: err instanceof Error ? err.message : String(err) });
  options.watch(SERVICES, { parse: (o) => ServiceSchema.parse(o), onChange: (items) => ((services = items), schedule()), onError }, abort.signal);
  options.watch(ENDPOINT_SLICES, { parse: (o) => EndpointSliceSchema.parse(o), onChange: (items) => ((slices = items), schedule()), onError }, abort.signal);

  return {
    ready,
    stats: () => ({ ...stats }),
    async stop(stopOptions = {}) {
      stopped = true;
      abort.abort();
      clearInterval(fullCheck);
      clearTimeout(timer);
      await running;
      if (!stopOptions.removeRules) return;
      await iptables.removeAll();
      if (route) await runCommand(['ip', 'route', 'del', options.serviceCidr!], { netns: options.netns }).catch(() => {});
      await setSysctl(ROUTE_LOCALNET, previousLocalnet, options.netns);
    },
  };
}

/** Deletes every rule and chain of ours from the namespace's tables (for `zeroplane agent --cleanup`). */
export async function removeServiceRules(netns?: string): Promise<void> {
  await new IptablesApplier({ netns }).removeAll();
}

/**
 * A whole node in one call: the agent (kubelet) plus what makes its pods reachable and observable: the service
 * proxy (kube-proxy), the cluster DNS on the pod bridge's gateway, and the node server (the kubelet API that
 * `kubectl logs/exec/port-forward` reach through the API). `zeroplane agent` and `zeroplane up` both run this.
 *
 * Order matters: the node server listens first (its port goes into the Node's daemonEndpoints at registration);
 * the agent registers and claims its pod CIDR; only then is the bridge known, so the runtime factory creates the
 * bridge and starts the DNS and the service proxy on it before any pod worker starts a sandbox.
 *
 * With `netns`, the node's network plane (bridge, iptables rules, DNS sockets) lives in that named namespace and
 * the rest of the process stays in its own (tests: a throwaway namespace with no route off the machine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createHttpApi, type NodeApi } from './api-client.ts';
import { startNodeAgent, type AgentOptions, type NodeAgent } from './agent.ts';
import { nameserversOf, startClusterDns, type ClusterDns, type Upstream } from './network/dns-server.ts';
import { createPodNetwork } from './network/pod-network.ts';
import { httpResourceWatch } from './network/resource-watch.ts';
import { startServiceProxy, type ServiceProxy } from './network/service-proxy.ts';
import { sharedResourceWatch } from './network/shared-watch.ts';
import { readHostFacts } from './node/host-facts.ts';
import { CLUSTER_POD_CIDR } from './node/pod-cidr.ts';
import { startNodeServer, type NodeServer } from './node-server/server.ts';
import { createSelfSignedServingCert } from './node-server/serving-cert.ts';
import { cidrRange } from './pod/ip-allocator.ts';
import type { ContainerRuntime } from './runtime/container-runtime.ts';

/** The API's default service range (functions/apiserver/core.ts DEFAULT_SERVICE_CIDR; not imported: the API's core is heavy). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

export interface NodeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StartNodeOptions {
  /** `https://127.0.0.1:6443` */
  server: string;
  /** The node's bearer token (`system:node:<name>`). */
  token?: string;
  /** A token per request instead (rotating credentials: aws-iam). */
  tokenSource?: () => Promise<string>;
  /** PEM of the CA that signed the API's certificate. */
  apiCaPem?: string;
  /**
   * PEM of the CA whose client certificates may call the node server (the API's node-client cert). Without it no
   * node server runs (nobody could be authenticated): pods run, but logs/exec/port-forward are unavailable.
   */
  clientCaPem?: string;
  nodeName: string;
  dataDir: string;
  /** InternalIP; default the host's first IPv4. The node server listens here unless `serverAddress` says otherwise. */
  nodeIP?: string;
  serverAddress?: string;
  /** Node server port; 0 picks a free one. Default 10250. */
  serverPort?: number;
  /** Named network namespace for the network plane; undefined: this process's (the host's). */
  netns?: string;
  bridge?: string;
  /** The cluster's pod range the node's /24 is taken from. Default 10.244.0.0/16. */
  clusterCidr?: string;
  serviceCidr?: string;
  /** Where names outside the cluster are forwarded. Default: the first nameserver of /etc/resolv.conf. */
  dnsUpstream?: Upstream;
  /** DNS port on the bridge gateway. Default 53. */
  dnsPort?: number;
  heartbeatSeconds?: number;
  leaseDurationSeconds?: number;
  podSync?: 'watch' | 'poll';
  pollSeconds?: number;
  imdsUrl?: string;
  /** Added to every container's labels. */
  extraLabels?: Record<string, string>;
  /** Counts API requests (the idle-cost figure). */
  onRequest?: (method: string, path: string) => void;
  log?: NodeLog;
}

export interface RunningNode {
  readonly agent: NodeAgent;
  readonly api: NodeApi;
  /** 0 when no node server runs (no client CA). */
  readonly serverPort: number;
  readonly nodeIP: string;
  /** Resolves once the service proxy applied its first ruleset and the DNS zone is loaded. */
  readonly networkReady: Promise<void>;
  /** Stops everything; containers and iptables rules stay (a restarted node adopts them, as the kubelet does). */
  stop(): Promise<void>;
}

/** How long pod workers wait for the first DNS zone and ruleset. */
const NETWORK_READY_TIMEOUT_MS = 10_000;

/** True when `promise` settles within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(false)),
    );
  });
}

const silent: NodeLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function defaultUpstream(): Upstream {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // No resolv.conf: fall back to loopback (a local resolver, or a quick SERVFAIL).
  }
  return { address: nameserversOf(text)[0] ?? '127.0.0.1' };
}

/** The pid owning a sandbox's network namespace, from dockerd. */
async function sandboxPid(docker: Docker, id: string): Promise<{ pid: number } | { error: string }> {
  try {
    const info = await docker.getContainer(id).inspect();
    return info.State.Pid > 0 ? { pid: info.State.Pid } : { error: 'the pod sandbox is not running' };
  } catch (err) {
    return { error: `the pod sandbox cannot be inspected: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const log = options.log ?? silent;
  const nodeIP = options.nodeIP ?? readHostFacts(options.dataDir).internalIP;
  const credential = { ...(options.token ? { token: options.token } : {}), ...(options.tokenSource ? { tokenSource: options.tokenSource } : {}) };
  const api = createHttpApi({ server: options.server, ...credential, ...(options.apiCaPem ? { ca: options.apiCaPem } : {}), ...(options.onRequest ? { onRequest: options.onRequest } : {}) });
  const stops: Array<() => Promise<void>> = [async () => api.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn({ err }, 'stopping a part of the node failed');
      }
    }
  };

  try {
    // Loaded here so `zeroplane up` without Docker never loads Docker's client.
    const [{ default: DockerClient }, { createDockerRuntime }] = await Promise.all([import('dockerode'), import('./runtime/docker-runtime.ts')]);
    const docker = new DockerClient();
    let agent: NodeAgent | undefined;
    let runtime: ContainerRuntime | undefined;
    let proxy: ServiceProxy | undefined;
    let dns: ClusterDns | undefined;

    let server: NodeServer | undefined;
    if (options.clientCaPem) {
      const serving = createSelfSignedServingCert(options.nodeName, [...new Set([nodeIP, '127.0.0.1', options.nodeName])]);
      server = await startNodeServer({
        host: options.serverAddress ?? nodeIP,
        port: options.serverPort ?? 10250,
        tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: options.clientCaPem },
        runtime: {
          logs: (id, o) => runtime!.logs(id, o),
          exec: (id, o) => runtime!.exec(id, o),
        },
        resolveContainer: async (namespace, pod, container, o) => agent?.resolveContainer(namespace, pod, container, o) ?? { error: 'the node is starting' },
        podNetnsTarget: async (namespace, pod) => {
          const sandbox = agent?.sandboxOf(namespace, pod) ?? { error: 'the node is starting' };
          return 'error' in sandbox ? sandbox : sandboxPid(docker, sandbox.id);
        },
        onError: (err) => log.warn({ err }, 'node server request failed'),
      });
      const started = server;
      stops.push(() => started.close());
    } else log.warn({ node: options.nodeName }, 'no client CA: running without a node server (kubectl logs/exec/port-forward will fail)');

    // The proxy and the DNS follow the same two resources: one list+watch each, shared.
    const watch = sharedResourceWatch(httpResourceWatch({ server: options.server, ...credential, ...(options.apiCaPem ? { ca: Buffer.from(options.apiCaPem) } : {}) }));
    const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
    const clusterCidr = options.clusterCidr ?? CLUSTER_POD_CIDR;
    const bridge = options.bridge ?? 'zpbr0';

    const makeRuntime: AgentOptions['runtime'] = async (podCidr) => {
      const range = cidrRange(podCidr);
      // In a namespace without a default route, the node's own connections to a ClusterIP need a route to reach
      // nat OUTPUT (pod-network.ts); in the host namespace the default route covers the service range.
      const network = createPodNetwork({ bridge, gatewayCidr: `${range.gateway}/${range.prefix}`, ...(options.netns ? { netns: options.netns, serviceCidr } : {}) });
      await network.ensureBridge();
      dns = await startClusterDns({
        watch,
        address: range.gateway,
        port: options.dnsPort ?? 53,
        upstream: options.dnsUpstream ?? defaultUpstream(),
        ...(options.netns ? { netns: options.netns } : {}),
        log: (message, fields) => log.warn(fields, `cluster DNS: ${message}`),
      });
      stops.push(() => dns!.close());
      proxy = await startServiceProxy({
        watch,
        nodeName: options.nodeName,
        podCIDR: podCidr,
        clusterCIDR: clusterCidr,
        ...(options.netns ? { netns: options.netns } : {}),
        log: (message, fields) => log.warn(fields, `service proxy: ${message}`),
      });
      stops.push(() => proxy!.stop());
      // Pods start only once their names resolve and their Services route (an empty zone would answer NXDOMAIN),
      // but an API that cannot list them yet must not keep the node from adopting its running pods forever.
      const ready = await settlesWithin(Promise.all([dns.ready, proxy.ready]), NETWORK_READY_TIMEOUT_MS);
      if (!ready) log.warn({ node: options.nodeName }, `Services and DNS not ready after ${NETWORK_READY_TIMEOUT_MS} ms; starting pods anyway`);
      runtime = createDockerRuntime({ docker, network, podFilesDir: join(options.dataDir, 'pod-files') });
      return runtime;
    };

    agent = await startNodeAgent({
      api,
      nodeName: options.nodeName,
      dataDir: options.dataDir,
      runtime: makeRuntime,
      nodeIP,
      ...(server ? { serverPort: server.port } : {}),
      clusterCidr,
      containerRuntimeVersion: `docker://${(await docker.version()).Version}`,
      ...(options.heartbeatSeconds ? { leaseRenewMs: options.heartbeatSeconds * 1000 } : {}),
      ...(options.leaseDurationSeconds ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
      ...(options.podSync ? { podSync: options.podSync } : {}),
      ...(options.pollSeconds ? { pollMs: options.pollSeconds * 1000 } : {}),
      ...(options.imdsUrl ? { imdsUrl: options.imdsUrl } : {}),
      ...(options.extraLabels ? { extraLabels: options.extraLabels } : {}),
      log,
    });
    const running = agent;
    // The agent stops first (no worker starts a sandbox while the network goes away), then the rest in reverse.
    stops.push(() => running.stop());
    const networkReady = Promise.all([proxy?.ready, dns?.ready]).then(() => undefined);
    return { agent: running, api, serverPort: server?.port ?? 0, nodeIP, networkReady, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

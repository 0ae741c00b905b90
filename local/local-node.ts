/**
 * The real node `zeroplane up` runs in its own process when Docker answers: this machine, named after its host
 * name, with a node credential minted from the cluster's token key (so it is restricted like any node) and the
 * cluster CA as the node server's client CA (the API calls it with the node-client certificate that CA issued).
 */
import { request } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NodeLog, RunningNode } from '../node-agent/start-node.ts';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const NO_DOCKER_LINE =
  '• no Docker on /var/run/docker.sock: running without a node (install it with `apt-get install -y docker.io` and start dockerd, or use --simulated-nodes)';

/** True when dockerd answers `GET /_ping` on its socket within the timeout. */
export function dockerAnswers(socketPath = DOCKER_SOCKET, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface LocalNodeOptions {
  server: string;
  caCertPem: string;
  dataDir: string;
  token: string;
  nodeName?: string;
  /** Run the network plane in this named namespace (the caller made it). */
  netns?: string;
  log: NodeLog;
}

/** The host name, or $ZEROPLANE_NODE_NAME (tests, or a host name that is not a valid object name). */
export function localNodeName(env: NodeJS.ProcessEnv = process.env): string {
  return (env.ZEROPLANE_NODE_NAME || hostname()).toLowerCase();
}

export async function startLocalNode(options: LocalNodeOptions): Promise<RunningNode> {
  const { startNode } = await import('../node-agent/start-node.ts');
  return startNode({
    server: options.server,
    token: options.token,
    apiCaPem: options.caCertPem,
    clientCaPem: options.caCertPem,
    nodeName: options.nodeName ?? localNodeName(),
    dataDir: join(options.dataDir, 'node'),
    // A free port: 10250 may belong to a kubelet (or another local cluster) on this machine.
    serverPort: 0,
    ...(options.netns ? { netns: options.netns } : {}),
    log: options.log,
  });
}

/**
 * Readings of real nodes: GET /metrics/resource on the node's server (the agent samples Docker stats in the
 * background, node-agent/metrics/usage-sampler.ts), over TLS with the API's node client certificate — the same
 * credential and address the logs/exec proxy uses. metrics-server scrapes kubelets the same way.
 */
import { request } from 'node:https';
import { z } from 'zod';
import type { Node } from '../../shared/api/kinds/node.ts';
import { nodeServerAddress, type NodeClientTls } from '../apiserver/node-proxy.ts';
import type { MetricsSource, NodeUsage } from './metrics-source.ts';

const NodeUsageSchema = z.object({
  timestamp: z.number(),
  windowSeconds: z.number(),
  cpuNanocores: z.number(),
  memoryBytes: z.number(),
  pods: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      containers: z.array(z.object({ name: z.string(), cpuNanocores: z.number(), memoryBytes: z.number() })),
    }),
  ),
});

const MAX_BODY = 4 * 1024 * 1024;

function fetchUsage(host: string, port: number, tls: NodeClientTls, timeoutMs: number): Promise<NodeUsage | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port,
        path: '/metrics/resource',
        method: 'GET',
        cert: tls.certPem,
        key: tls.keyPem,
        ...(tls.caPem ? { ca: tls.caPem } : { rejectUnauthorized: false }),
        timeout: timeoutMs,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve(undefined);
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > MAX_BODY) req.destroy();
        });
        res.on('end', () => {
          try {
            const parsed = NodeUsageSchema.safeParse(JSON.parse(body));
            resolve(parsed.success ? parsed.data : undefined);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** A MetricsSource asking each node's server; a node that cannot be reached has no readings. */
export function nodeScrapeSource(tls: NodeClientTls, timeoutMs = 3_000): MetricsSource {
  return {
    async nodeUsage(node: Node) {
      let address;
      try {
        address = nodeServerAddress(node);
      } catch {
        return undefined;
      }
      return fetchUsage(address.host, address.port, tls, timeoutMs);
    },
  };
}

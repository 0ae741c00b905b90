/**
 * startLocalCluster in-process, against endpoints given through AWS_ENDPOINT_URL (the LocalStack path): it must
 * start nothing of its own, use those endpoints, and still serve the API with its kubeconfig.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startLocalCluster } from '../../local/cluster.ts';
import { createApiClient, readKubeconfig } from '../support/cluster.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('startLocalCluster', () => {
  it('uses the endpoints from AWS_ENDPOINT_URL instead of starting emulators', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zp-cluster-'));
    dirs.push(dataDir);
    const lines: string[] = [];
    const cluster = await startLocalCluster({
      dataDir,
      port: 0,
      prefix: `zp${process.pid}`,
      env: { AWS_ENDPOINT_URL: inject('dynamoEndpoint'), AWS_ENDPOINT_URL_SQS: inject('sqsEndpoint') },
      log: (line) => lines.push(line),
    });
    try {
      expect(cluster.dynamoEndpoint).toBe(inject('dynamoEndpoint'));
      expect(cluster.sqsEndpoint).toBe(inject('sqsEndpoint'));
      expect(lines.join('\n')).not.toContain('starting DynamoDB Local');
      expect(lines[0]).toBe(`• using AWS_ENDPOINT_URL ${inject('dynamoEndpoint')}`);
      expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

      const api = createApiClient(readKubeconfig(cluster.kubeconfigPath));
      try {
        const ns = await api.request('GET', '/api/v1/namespaces/default');
        expect(ns.status).toBe(200);
        const ready = await api.request('GET', '/readyz');
        expect(ready).toMatchObject({ status: 200, text: 'ok' });
      } finally {
        api.close();
      }
    } finally {
      await cluster.stop();
    }
    // Stopped: the data dir is free for the next cluster, and stopping twice is harmless.
    await cluster.stop();
    const again = await startLocalCluster({
      dataDir,
      port: 0,
      prefix: `zp${process.pid}`,
      env: { AWS_ENDPOINT_URL: inject('dynamoEndpoint'), AWS_ENDPOINT_URL_SQS: inject('sqsEndpoint') },
    });
    await again.stop();
  }, 60_000);
});

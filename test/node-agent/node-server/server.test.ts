import Docker from 'dockerode';
import { request } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { NODE_CLIENT_COMMON_NAME } from '../../../node-agent/node-server/auth.ts';
import { dialInNetns } from '../../../node-agent/node-server/netns-dial.ts';
import { createSelfSignedServingCert } from '../../../node-agent/node-server/serving-cert.ts';
import { startNodeServer, type NodeServer } from '../../../node-agent/node-server/server.ts';
import { issueClientCert, type ClientCert } from '../../../local/node-client-cert.ts';
import { ensureTls } from '../../../local/tls.ts';
import { dockerStreams } from './docker-streams.ts';

const docker = new Docker();
const LABEL = 'zeroplane.test/node-server';
const runId = `ns-${process.pid}-${Date.now()}`;

/** Prints three lines, serves /www on the pod's loopback only, and prints `later` whenever /tmp/go appears. */
const WEB_SCRIPT = [
  'echo line1',
  'echo line2',
  'echo line3',
  'mkdir -p /www',
  'echo hello-from-pod > /www/index.html',
  'httpd -p 127.0.0.1:80 -h /www',
  'while true; do if [ -f /tmp/go ]; then rm /tmp/go; echo later; fi; sleep 0.1; done',
].join('; ');

async function runContainer(name: string, cmd: string, wait: boolean): Promise<string> {
  const container = await docker.createContainer({
    Image: 'zp/busybox:1',
    name: `${runId}-${name}`,
    Cmd: ['sh', '-c', cmd],
    Labels: { [LABEL]: runId },
    HostConfig: { NetworkMode: 'none' },
  });
  await container.start();
  if (wait) await container.wait();
  return container.id;
}

interface Reply {
  status: number;
  text: string;
}

function get(port: number, path: string, cert?: ClientCert): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: { status: string; reason?: string; details?: { causes?: Array<{ reason: string; message: string }> } };
}

/** A v5.channel.k8s.io client, as kubectl speaks it. */
function exec(port: number, cert: ClientCert, query: string, stdin?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/default/p1/web?${query}`, 'v5.channel.k8s.io', {
      cert: cert.certPem,
      key: cert.keyPem,
      rejectUnauthorized: false,
    });
    const out = { stdout: '', stderr: '', status: '' };
    ws.on('open', () => {
      if (stdin === undefined) return;
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
      ws.send(Buffer.from([255, 0]));
    });
    ws.on('message', (data: Buffer) => {
      const text = data.subarray(1).toString('utf8');
      if (data[0] === 1) out.stdout += text;
      if (data[0] === 2) out.stderr += text;
      if (data[0] === 3) out.status += text;
    });
    ws.on('close', () => resolve({ stdout: out.stdout, stderr: out.stderr, status: out.status ? JSON.parse(out.status) : { status: 'none' } }));
    ws.on('error', reject);
  });
}

describe('startNodeServer', () => {
  let dir: string;
  let server: NodeServer;
  let apiCert: ClientCert;
  let otherCert: ClientCert;
  let webId: string;
  let previousId: string;
  let webPid: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zp-node-server-'));
    const tls = await ensureTls(dir);
    const caKey = await readFile(join(dir, 'tls/ca.key'), 'utf8');
    apiCert = issueClientCert(tls.caCertPem, caKey, NODE_CLIENT_COMMON_NAME);
    otherCert = issueClientCert(tls.caCertPem, caKey, 'someone-else');
    [webId, previousId] = await Promise.all([runContainer('web', WEB_SCRIPT, false), runContainer('prev', 'echo previous-run; echo previous-err >&2; exit 1', true)]);
    webPid = (await docker.getContainer(webId).inspect()).State.Pid;
    const containers: Record<string, { current: string; previous?: string }> = { web: { current: webId, previous: previousId } };
    server = await startNodeServer({
      host: '127.0.0.1',
      port: 0,
      tls: { ...createSelfSignedServingCert('node-1', ['127.0.0.1']), clientCaPem: tls.caCertPem },
      runtime: dockerStreams(docker),
      resolveContainer: async (namespace, pod, container, { previous }) => {
        const found = namespace === 'default' && pod === 'p1' ? containers[container] : undefined;
        const id = previous ? found?.previous : found?.current;
        return id ? { id } : { error: `container "${container}" in pod "${pod}" is not available` };
      },
      podNetnsTarget: async (namespace, pod) => (namespace === 'default' && pod === 'p1' ? { pid: webPid } : { error: `pod ${pod} not found` }),
    });
    // The web container has printed its three lines and started httpd.
    await vi.waitFor(
      async () => {
        const logs = (await get(server.port, '/containerLogs/default/p1/web', apiCert)).text;
        if (!logs.includes('line3')) throw new Error(`not yet: ${logs}`);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  afterAll(async () => {
    await server?.close();
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${runId}`] } });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 401 to a caller without a client certificate', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/web');
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
  });

  it('answers 403 to a certificate of the cluster CA that is not the API', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/web', otherCert);
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text).message).toContain('User "someone-else"');
  });

  it('answers 401 to a certificate from another CA with the API name', async () => {
    const strangerDir = await mkdtemp(join(tmpdir(), 'zp-node-server-other-'));
    try {
      const other = await ensureTls(strangerDir);
      const forged = issueClientCert(other.caCertPem, await readFile(join(strangerDir, 'tls/ca.key'), 'utf8'), NODE_CLIENT_COMMON_NAME);
      expect((await get(server.port, '/containerLogs/default/p1/web', forged)).status).toBe(401);
    } finally {
      await rm(strangerDir, { recursive: true, force: true });
    }
  });

  it('serves the logs of a container', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/web', apiCert);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('line1\nline2\nline3\n');
  });

  it.each([
    ['tailLines=1', 'line3\n'],
    ['tailLines=2', 'line2\nline3\n'],
    ['limitBytes=8', 'line1\nli'],
    ['sinceSeconds=3600', 'line1\nline2\nline3\n'],
    ['sinceTime=2999-01-01T00:00:00Z', ''],
  ])('honours %s', async (query, expected) => {
    const reply = await get(server.port, `/containerLogs/default/p1/web?${query}`, apiCert);
    expect(reply).toEqual({ status: 200, text: expected });
  });

  it('prefixes every line with an RFC 3339 timestamp when asked', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/web?timestamps=true&tailLines=1', apiCert);
    expect(reply.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line3\n$/);
  });

  it('serves the previous instance of a container, stdout and stderr together', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/web?previous=true', apiCert);
    expect(reply.status).toBe(200);
    // Docker copies the two streams separately, so their relative order is not guaranteed.
    expect(reply.text.split('\n').sort()).toEqual(['', 'previous-err', 'previous-run']);
  });

  it('answers 400 with the resolver message for an unknown container', async () => {
    const reply = await get(server.port, '/containerLogs/default/p1/nope', apiCert);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).message).toBe('container "nope" in pod "p1" is not available');
  });

  it('follows a log and shows a line written later', async () => {
    const seen: string[] = [];
    const req = request({ host: '127.0.0.1', port: server.port, path: '/containerLogs/default/p1/web?follow=true&tailLines=0', rejectUnauthorized: false, cert: apiCert.certPem, key: apiCert.keyPem });
    const response = new Promise<number>((resolve) => req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => seen.push(c));
      resolve(res.statusCode ?? 0);
    }));
    req.end();
    try {
      expect(await response).toBe(200);
      await (await docker.getContainer(webId).exec({ Cmd: ['touch', '/tmp/go'] })).start({});
      await expect.poll(() => seen.join(''), { timeout: 10_000 }).toBe('later\n');
    } finally {
      req.destroy();
    }
  });

  it('runs a command over v5.channel.k8s.io and reports its exit code on channel 3', async () => {
    const result = await exec(server.port, apiCert, 'command=sh&command=-c&command=echo%20out%3B%20echo%20err%20%3E%262%3B%20exit%203&stdout=true&stderr=true');
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('feeds stdin and closes it on the v5 close message', async () => {
    const result = await exec(server.port, apiCert, 'command=sh&command=-c&command=cat%3B%20echo%20done&stdin=true&stdout=true&stderr=true', 'hello\n');
    expect(result.stdout).toBe('hello\ndone\n');
    expect(result.status).toMatchObject({ status: 'Success' });
  });

  it('refuses an exec upgrade from an unauthenticated caller with 401', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/exec/default/p1/web?command=true&stdout=true`, 'v5.channel.k8s.io', { rejectUnauthorized: false });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it('connects to a port bound to the loopback inside the pod network namespace', async () => {
    const conn = await dialInNetns(webPid, 80);
    let text = '';
    conn.stream.setEncoding('utf8');
    conn.stream.on('data', (c: string) => (text += c));
    const ended = new Promise((resolve) => conn.stream.on('end', resolve));
    conn.stream.end('GET /index.html HTTP/1.0\r\n\r\n');
    await ended;
    conn.close();
    expect(text).toMatch(/^HTTP\/1\.[01] 200/);
    expect(text).toContain('hello-from-pod');
  });

  it('reports a refused pod port as the dial error', async () => {
    await expect(dialInNetns(webPid, 81)).rejects.toThrow(/ECONNREFUSED/);
  });
});

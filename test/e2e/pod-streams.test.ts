/**
 * `kubectl logs`, `exec` and `port-forward` end to end: the real kubectl → the local cluster's HTTPS front → the
 * API core → a node server (started here, the way the agent starts it) → real containers in dockerd. The Node
 * object advertises the node server on 127.0.0.1 like a kubelet's :10250; the pod is bound to it and its status
 * names a container started here, plus an exited one as its previous instance.
 */
import Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSelfSignedServingCert } from '../../node-agent/node-server/serving-cert.ts';
import { startNodeServer, type NodeServer } from '../../node-agent/node-server/server.ts';
import { freePort, startCluster, type LocalCluster } from '../support/cluster.ts';
import { dockerStreams } from '../node-agent/node-server/docker-streams.ts';

const docker = new Docker();
const LABEL = 'zeroplane.test/pod-streams';
const runId = `ps-${process.pid}-${Date.now()}`;
const NODE = 'streams-node';

const WEB_SCRIPT = [
  'echo line1',
  'echo line2',
  'echo line3',
  'mkdir -p /www',
  'echo hello-from-pod > /www/index.html',
  // The pod's loopback only: reachable solely from inside its network namespace.
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

function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

describe('pod logs, exec and port-forward through the API', () => {
  let cluster: LocalCluster;
  let node: NodeServer;
  let webId: string;

  beforeAll(async () => {
    let previousId: string;
    [cluster, webId, previousId] = await Promise.all([
      startCluster(),
      runContainer('web', WEB_SCRIPT, false),
      runContainer('prev', 'echo previous-run; exit 1', true),
    ]);
    const webPid = (await docker.getContainer(webId).inspect()).State.Pid;
    node = await startNodeServer({
      host: '127.0.0.1',
      port: 0,
      tls: { ...createSelfSignedServingCert(NODE, ['127.0.0.1']), clientCaPem: await readFile(join(cluster.dataDir, 'tls/ca.crt'), 'utf8') },
      runtime: dockerStreams(docker),
      resolveContainer: async (namespace, pod, container, { previous }) =>
        namespace === 'default' && pod === 'web' && container === 'web'
          ? { id: previous ? previousId : webId }
          : { error: `container "${container}" in pod "${pod}" is not available` },
      podNetnsTarget: async (namespace, pod) => (namespace === 'default' && pod === 'web' ? { pid: webPid } : { error: `pod ${pod} has no sandbox` }),
    });

    const api = cluster.api();
    const ok = async (p: Promise<{ status: number; text: string }>) => {
      const r = await p;
      if (r.status >= 300) throw new Error(`${r.status} ${r.text}`);
    };
    await ok(api.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } }));
    const now = new Date().toISOString();
    await ok(
      api.request('PATCH', `/api/v1/nodes/${NODE}/status`, {
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }],
          daemonEndpoints: { kubeletEndpoint: { Port: node.port } },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      }, { 'content-type': 'application/merge-patch+json' }),
    );
    const pod = (name: string, containers: string[], spec: Record<string, unknown>) =>
      api.request('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { ...spec, containers: containers.map((c) => ({ name: c, image: 'zp/busybox:1', imagePullPolicy: 'Never' })) },
      });
    await ok(pod('web', ['web'], { nodeName: NODE }));
    await ok(pod('two', ['a', 'b'], { nodeName: NODE }));
    // Never schedulable: stays Pending and unbound.
    await ok(pod('pending', ['c'], { nodeSelector: { 'zeroplane.test/none': 'none' } }));
    await ok(
      api.request('PATCH', '/api/v1/namespaces/default/pods/web/status', {
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'web',
              image: 'zp/busybox:1',
              imageID: 'docker-pullable://zp/busybox:1',
              containerID: `docker://${webId}`,
              ready: true,
              started: true,
              restartCount: 1,
              state: { running: { startedAt: now } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: `docker://${previousId}`, startedAt: now, finishedAt: now } },
            },
          ],
        },
      }, { 'content-type': 'application/merge-patch+json' }),
    );
    // The container has printed its three lines.
    await vi.waitFor(async () => expect((await cluster.kubectl('logs', 'web')).stdout).toContain('line3'), { timeout: 15_000, interval: 200 });
  }, 180_000);

  afterAll(async () => {
    await node?.close();
    await cluster?.stop();
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${runId}`] } });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  }, 60_000);

  it('kubectl logs prints the container output', async () => {
    const r = await cluster.kubectl('logs', 'web');
    expect(r).toMatchObject({ code: 0, stdout: 'line1\nline2\nline3\n' });
  });

  it('kubectl logs --tail=2 prints the last two lines', async () => {
    expect((await cluster.kubectl('logs', 'web', '--tail=2')).stdout).toBe('line2\nline3\n');
  });

  it('kubectl logs --previous prints the previous instance', async () => {
    expect(await cluster.kubectl('logs', 'web', '--previous')).toMatchObject({ code: 0, stdout: 'previous-run\n' });
  });

  it('kubectl logs --timestamps --since prefixes RFC 3339 times', async () => {
    const r = await cluster.kubectl('logs', 'web', '--timestamps', '--since=1h', '--tail=1');
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line3\n$/);
  });

  it('kubectl logs -f shows a line written later', async () => {
    const follow = cluster.kubectlBackground('logs', '-f', 'web', '--tail=1');
    try {
      await vi.waitFor(() => expect(follow.lines()).toContain('line3'), { timeout: 15_000, interval: 100 });
      await (await docker.getContainer(webId).exec({ Cmd: ['touch', '/tmp/go'] })).start({});
      await vi.waitFor(() => expect(follow.lines()).toContain('later'), { timeout: 15_000, interval: 100 });
    } finally {
      await follow.stop();
    }
  });

  it('kubectl exec prints the output and the exit code of the command', async () => {
    const r = await cluster.kubectl('exec', 'web', '--', 'sh', '-c', 'echo hi; exit 3');
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
  });

  it('kubectl exec -i feeds stdin to the command', async () => {
    const r = await cluster.kubectlWith(['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'], { input: 'hello\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'hello\ndone\n' });
  });

  it.each([
    ['WebSocket (SPDY/3.1+portforward.k8s.io)', 'true'],
    ['the SPDY/3.1 upgrade fallback', 'false'],
  ])('kubectl port-forward over %s reaches a port on the pod loopback', async (_transport, websockets) => {
    const local = await freePort();
    // kubectl's feature gate: false makes it skip the WebSocket tunnel and POST an `Upgrade: SPDY/3.1`.
    vi.stubEnv('KUBECTL_PORT_FORWARD_WEBSOCKETS', websockets);
    const forward = cluster.kubectlBackground('port-forward', 'pod/web', `${local}:80`);
    vi.unstubAllEnvs();
    try {
      await vi.waitFor(() => expect(forward.lines().join('\n')).toContain('Forwarding from 127.0.0.1'), { timeout: 15_000, interval: 100 });
      expect(await httpText(`http://127.0.0.1:${local}/index.html`)).toBe('hello-from-pod\n');
      // A second connection over the same session.
      expect(await httpText(`http://127.0.0.1:${local}/index.html`)).toBe('hello-from-pod\n');
    } finally {
      await forward.stop();
    }
  });

  it('asks for a container name when the pod has several', async () => {
    const r = await cluster.api().request('GET', '/api/v1/namespaces/default/pods/two/log');
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('a container name must be specified for pod two, choose one of: [a b]');
  });

  it('refuses a container the pod does not have', async () => {
    const r = await cluster.kubectl('logs', 'web', '-c', 'nope');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container nope is not valid for pod web');
  });

  it('says a container of a pod not yet started is waiting to start', async () => {
    const r = await cluster.kubectl('logs', 'pending');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container "c" in pod "pending" is waiting to start: ContainerCreating');
  });

  it('answers 400 to an exec request without a connection upgrade', async () => {
    const r = await cluster.api().request('GET', '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true');
    expect(r.status).toBe(400);
    expect(r.json().message).toMatch(/^Upgrade request required/);
  });

  it('node server refuses a caller without the API client certificate', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: node.port, path: '/containerLogs/default/web/web', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(401);
  });
});

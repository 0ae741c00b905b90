/**
 * A real node end to end: `zeroplane up --no-agent`, then `zeroplane agent` as a child process with its network
 * plane (bridge, iptables rules, DNS) in a throwaway namespace with no route off the machine, a client namespace
 * whose only route leads into it (local-stack.md §5), real dockerd and the real kubectl. The node's credential is
 * a node token, so everything here also passes node restriction.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintNodeToken } from '../../local/kubeconfig.ts';
import { inCidr } from '../../node-agent/pod/ip-allocator.ts';
import { NODE_LABEL } from '../../node-agent/pod-worker.ts';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import { repoRoot } from '../support/tools.ts';
import { hostIptables, oursIn } from '../node-agent/support/netns-lab.ts';
import { alive, createNetns, deleteNetns, sh } from '../node-agent/support/throwaway.ts';

const NODE_PREFIX = 'e2e-node-';
const nodeName = `${NODE_PREFIX}${process.pid}`;
const docker = new Docker();
let cluster: LocalCluster;
let nodeNs: string;
let clientNs: string;
let agentDir: string;
let agent: { child: ChildProcess; output(): string; exited: Promise<number | null> } | undefined;
let hostTablesBefore: string[];
const figures: Record<string, number> = {};

/** Containers of nodes whose test process is gone (crashed runs), then this run's own. */
async function removeNodeContainers(which: 'dead' | 'mine'): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { label: [NODE_LABEL] } });
  const doomed = found.filter((c) => {
    const node = c.Labels[NODE_LABEL] ?? '';
    if (!node.startsWith(NODE_PREFIX)) return false;
    return which === 'mine' ? node === nodeName : !alive(Number(node.slice(NODE_PREFIX.length)));
  });
  await Promise.all(doomed.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

function startAgent(): NonNullable<typeof agent> {
  const args = [
    join(repoRoot, 'bin/zeroplane.mjs'),
    'agent',
    '--server', cluster.server,
    '--ca', join(cluster.dataDir, 'tls/ca.crt'),
    '--node-name', nodeName,
    '--data-dir', agentDir,
    '--node-ip', '127.0.0.1',
    '--server-port', '0',
    '--netns', nodeNs,
    // Names outside the cluster are never forwarded off the machine.
    '--dns-upstream', '127.0.0.1',
    '--heartbeat-seconds', '5',
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ZEROPLANE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

async function stopAgent(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  process.kill(agent.child.pid!, signal);
  await agent.exited;
}

let token: string;

async function kubectlOk(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} → ${r.code}: ${r.stderr}${r.stdout}\n--- agent:\n${agent?.output().slice(-3000)}`);
  return r.stdout;
}

async function podsJson(selector?: string): Promise<any[]> {
  return JSON.parse(await kubectlOk('get', 'pods', ...(selector ? ['-l', selector] : []), '-o', 'json')).items;
}

async function pod(name: string): Promise<any> {
  return JSON.parse(await kubectlOk('get', 'pod', name, '-o', 'json'));
}

/** The sorted ids of this node's containers in dockerd. */
async function nodeContainerIds(): Promise<string[]> {
  return (await docker.listContainers({ all: true, filters: { label: [`${NODE_LABEL}=${nodeName}`] } })).map((c) => c.Id).sort();
}

const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: zp/busybox:1
        imagePullPolicy: IfNotPresent
        command: ['sh', '-c', 'echo $HOSTNAME > /www/index.html; exec httpd -f -p 8080 -h /www']
        ports: [{ containerPort: 8080 }]
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

const CLIENT = `
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { GREETING: hello-from-configmap }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: s3cr3t }
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: zp/busybox:1
    imagePullPolicy: IfNotPresent
    command: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done']
    envFrom: [{ configMapRef: { name: settings } }]
    env: [{ name: PASSWORD, valueFrom: { secretKeyRef: { name: creds, key: password } } }]
`;

const ENDINGS = `
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c, image: zp/busybox:1, imagePullPolicy: IfNotPresent, command: ['sh', '-c', 'echo about to crash; exit 1'] }
---
apiVersion: v1
kind: Pod
metadata: { name: seven }
spec:
  restartPolicy: Never
  containers:
  - { name: c, image: zp/busybox:1, imagePullPolicy: IfNotPresent, command: ['sh', '-c', 'exit 7'] }
`;

beforeAll(async () => {
  await removeNodeContainers('dead');
  hostTablesBefore = oursIn(await hostIptables());
  nodeNs = await createNetns('e2e-node');
  clientNs = await createNetns('e2e-client');
  // The client's only route leads into the node namespace, which has no route off the machine.
  await sh(['ip', '-n', nodeNs, 'link', 'add', 'zcl0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNs]);
  await sh(['ip', '-n', nodeNs, 'addr', 'add', '10.250.0.1/30', 'dev', 'zcl0']);
  await sh(['ip', '-n', nodeNs, 'link', 'set', 'zcl0', 'up']);
  await sh(['ip', '-n', clientNs, 'addr', 'add', '10.250.0.2/30', 'dev', 'eth0']);
  await sh(['ip', '-n', clientNs, 'link', 'set', 'eth0', 'up']);
  await sh(['ip', '-n', clientNs, 'route', 'add', 'default', 'via', '10.250.0.1']);
  // As Docker leaves the host's FORWARD chain: everything the node forwards must be accepted by its own rules.
  await sh(['ip', 'netns', 'exec', nodeNs, 'iptables', '-P', 'FORWARD', 'DROP']);
  agentDir = await mkdtemp(join(tmpdir(), 'zp-e2e-node-'));
  cluster = await startCluster();
  token = await mintNodeToken(cluster.dataDir, nodeName);
  agent = startAgent();
}, 120_000);

afterAll(async () => {
  await stopAgent('SIGTERM');
  await removeNodeContainers('mine');
  await cluster?.stop();
  if (clientNs) await deleteNetns(clientNs);
  if (nodeNs) await deleteNetns(nodeNs);
  if (agentDir) await rm(agentDir, { recursive: true, force: true });
  console.log(`node-agent e2e figures: ${JSON.stringify(figures)}`);
}, 60_000);

describe('a real node through kubectl', () => {
  let podCidr = '';
  let nodePort = 0;
  let clusterIP = '';

  it('registers Ready with a pod CIDR of its own', async () => {
    await expect.poll(async () => (await cluster.kubectl('get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')).stdout, { timeout: 60_000, interval: 250 }).toBe('True');
    // Registration posts the Node (Ready) first, then claims and sets its pod CIDR.
    await expect.poll(async () => (podCidr = (await kubectlOk('get', 'node', nodeName, '-o', 'jsonpath={.spec.podCIDR}')).trim()), { timeout: 30_000, interval: 250 }).toMatch(/^10\.244\.\d+\.0\/24$/);
    expect(await kubectlOk('get', 'nodes')).toMatch(new RegExp(`${nodeName}\\s+Ready`));
  }, 90_000);

  it('runs a 3-replica Deployment and a client pod with env from a ConfigMap and a Secret', async () => {
    const t0 = performance.now();
    const applied = await cluster.kubectlWith(['apply', '-f', '-'], { input: WEB + '---' + CLIENT });
    expect(applied.code, applied.stderr).toBe(0);
    await expect.poll(async () => (await podsJson('app=web')).filter((p) => p.status?.phase === 'Running').length, { timeout: 60_000, interval: 100 }).toBe(3);
    figures.deploymentRunningMs = Math.round(performance.now() - t0);
    await expect.poll(async () => (await pod('client')).status?.phase, { timeout: 60_000, interval: 100 }).toBe('Running');
    figures.clientRunningMs = Math.round(performance.now() - t0);

    const web = await podsJson('app=web');
    const ips = web.map((p) => p.status.podIP);
    expect(new Set(ips).size).toBe(3);
    for (const ip of ips) expect(inCidr(ip, podCidr)).toBe(true);
    expect(web.every((p) => p.spec.nodeName === nodeName)).toBe(true);
    await kubectlOk('rollout', 'status', 'deployment/web', '--timeout=60s');
    figures.deploymentReadyMs = Math.round(performance.now() - t0);

    const env = await kubectlOk('exec', 'client', '--', 'sh', '-c', 'echo $GREETING $PASSWORD');
    expect(env.trim()).toBe('hello-from-configmap s3cr3t');
    const svc = JSON.parse(await kubectlOk('get', 'service', 'web', '-o', 'json'));
    clusterIP = svc.spec.clusterIP;
    nodePort = svc.spec.ports[0].nodePort;
    expect(nodePort).toBeGreaterThan(0);
  }, 120_000);

  it('reaches the Service from another pod by DNS short name and by ClusterIP, spread over the replicas', async () => {
    const names = new Set((await podsJson('app=web')).map((p) => p.metadata.name));
    const ask = async (url: string) =>
      (await kubectlOk('exec', 'client', '--', 'sh', '-c', `for i in $(seq 12); do wget -qO- ${url} || echo FAILED; done`)).split('\n').filter(Boolean);
    // Endpoints and rules follow readiness within about a second: poll until the short name answers.
    await expect.poll(async () => (await cluster.kubectl('exec', 'client', '--', 'wget', '-qO-', 'http://web')).stdout.trim(), { timeout: 30_000, interval: 500 }).toSatisfy((b: string) => names.has(b));
    for (const url of ['http://web', `http://${clusterIP}`, 'http://web.default.svc.cluster.local']) {
      const bodies = await ask(url);
      expect(bodies.length).toBe(12);
      for (const b of bodies) expect(names.has(b), `${url} answered ${b}`).toBe(true);
      expect(new Set(bodies).size, `${url}: ${bodies.join(',')}`).toBeGreaterThanOrEqual(2);
    }
  }, 90_000);

  it('answers on the NodePort from the node namespace and from a client outside it', async () => {
    const names = new Set((await podsJson('app=web')).map((p) => p.metadata.name));
    const fromNode = (await sh(['ip', 'netns', 'exec', nodeNs, 'busybox', 'wget', '-qO-', `http://127.0.0.1:${nodePort}`])).trim();
    expect(names.has(fromNode)).toBe(true);
    const script = `for i in $(seq 10); do busybox wget -qO- http://10.250.0.1:${nodePort} 2>/dev/null || echo FAILED; done`;
    const fromClient = (await sh(['ip', 'netns', 'exec', clientNs, 'sh', '-c', script], 30_000)).split('\n').filter(Boolean);
    for (const b of fromClient) expect(names.has(b), `NodePort answered ${b}`).toBe(true);
    expect(new Set(fromClient).size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('serves kubectl logs, logs -f and exec with the command’s exit code', async () => {
    const logs = await kubectlOk('logs', 'client', '--tail', '2');
    expect(logs.trim().split('\n')).toHaveLength(2);
    expect(logs).toMatch(/^tick \d+$/m);
    const follow = cluster.kubectlBackground('logs', '-f', 'client', '--tail', '1');
    try {
      await expect.poll(() => follow.lines().filter((l) => l.startsWith('tick ')).length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(3);
    } finally {
      await follow.stop();
    }
    const lines = follow.lines().filter((l) => l.startsWith('tick ')).map((l) => Number(l.slice(5)));
    expect(lines[1]).toBe(lines[0]! + 1);

    expect((await cluster.kubectl('exec', 'client', '--', 'sh', '-c', 'exit 3')).code).toBe(3);
    expect((await cluster.kubectl('exec', 'client', '--', 'true')).code).toBe(0);
    const piped = await cluster.kubectlWith(['exec', '-i', 'client', '--', 'tr', 'a-z', 'A-Z'], { input: 'shout\n' });
    expect(piped.stdout).toBe('SHOUT\n');
  }, 60_000);

  it('shows a crashing container as CrashLoopBackOff and exit 7 as Failed', async () => {
    const applied = await cluster.kubectlWith(['apply', '-f', '-'], { input: ENDINGS });
    expect(applied.code, applied.stderr).toBe(0);
    await expect.poll(async () => (await cluster.kubectl('get', 'pod', 'crasher')).stdout, { timeout: 60_000, interval: 250 }).toMatch(/crasher\s+0\/1\s+CrashLoopBackOff\s+[1-9]/);
    expect(await kubectlOk('logs', 'crasher', '--previous')).toContain('about to crash');
    await expect.poll(async () => (await pod('seven')).status?.phase, { timeout: 30_000, interval: 250 }).toBe('Failed');
    expect((await pod('seven')).status.containerStatuses[0].state.terminated.exitCode).toBe(7);
    expect(await kubectlOk('get', 'pod', 'seven')).toMatch(/seven\s+0\/1\s+Error\s+0/);
    await kubectlOk('delete', 'pod', 'crasher', 'seven', '--wait=true');
  }, 90_000);

  it('replaces a deleted pod of the Deployment', async () => {
    const before = (await podsJson('app=web')).map((p) => p.metadata.name);
    const t0 = performance.now();
    await kubectlOk('delete', 'pod', before[0]!, '--wait=true');
    await expect.poll(async () => {
      const now = await podsJson('app=web');
      return now.filter((p) => !before.includes(p.metadata.name) && p.status?.phase === 'Running').length === 1 && now.length === 3;
    }, { timeout: 60_000, interval: 100 }).toBe(true);
    figures.replacementRunningMs = Math.round(performance.now() - t0);
    await expect.poll(async () => (await docker.listContainers({ all: true, filters: { label: [`${NODE_LABEL}=${nodeName}`, `zeroplane.io/pod-name=${before[0]}`] } })).length, { timeout: 30_000, interval: 250 }).toBe(0);
    await kubectlOk('rollout', 'status', 'deployment/web', '--timeout=60s');
    // Pods that stay keep reaching their gateway (DNS) while bridge ports come and go: one try, no retries.
    const names = new Set((await podsJson('app=web')).map((p) => p.metadata.name));
    const answer = await cluster.kubectl('exec', 'client', '--', 'wget', '-qO-', 'http://web');
    expect(names.has(answer.stdout.trim()), `${answer.stdout}${answer.stderr}`).toBe(true);
  }, 90_000);

  it('survives kill -9 of the agent: the restarted agent adopts every container, restarting and duplicating none', async () => {
    const ids = await nodeContainerIds();
    const restartsBefore = (await podsJson()).map((p) => `${p.metadata.name}:${p.status.containerStatuses?.[0]?.restartCount}`).sort();
    expect(ids.length).toBe(8); // 4 pods × (sandbox + app)
    // Every READY change of the web pods from here on: an adopting agent must not flap them to unready.
    const readiness = cluster.kubectlBackground('get', 'pods', '-l', 'app=web', '--watch-only', '--no-headers');
    await stopAgent('SIGKILL');
    const t0 = performance.now();
    agent = startAgent();
    await expect.poll(() => agent!.output(), { timeout: 60_000, interval: 200 }).toContain('agent running');
    figures.agentRestartMs = Math.round(performance.now() - t0);
    // Several relists and a full sync later, nothing has changed in dockerd or in the pods' statuses.
    await expect.poll(async () => (await cluster.kubectl('get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')).stdout, { timeout: 30_000 }).toBe('True');
    const names = new Set((await podsJson('app=web')).map((p) => p.metadata.name));
    let last = '';
    try {
      await expect.poll(async () => {
        const r = await cluster.kubectl('exec', 'client', '--', 'wget', '-qO-', 'http://web');
        last = `${Math.round(performance.now() - t0)} ms: exit ${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`;
        return r.stdout.trim();
      }, { timeout: 10_000, interval: 500 }).toSatisfy((b: string) => names.has(b));
    } catch (err) {
      throw new Error(`the Service did not answer after the restart; last try ${last}\n--- agent:\n${agent!.output().slice(-4000)}`, { cause: err });
    }
    figures.serviceAfterRestartMs = Math.round(performance.now() - t0);
    expect(await nodeContainerIds()).toEqual(ids);
    await readiness.stop();
    expect(readiness.lines().filter((l) => /\s0\/1\s/.test(l))).toEqual([]);
    expect((await podsJson()).map((p) => `${p.metadata.name}:${p.status.containerStatuses?.[0]?.restartCount}`).sort()).toEqual(restartsBefore);
    expect((await podsJson()).every((p) => p.status.phase === 'Running')).toBe(true);
  }, 120_000);

  it('stops on SIGTERM, leaving the containers running for the next agent', async () => {
    const ids = await nodeContainerIds();
    const t0 = performance.now();
    await stopAgent('SIGTERM');
    figures.agentStopMs = Math.round(performance.now() - t0);
    expect(await agent!.exited).toBe(0);
    expect(agent!.output()).toContain('stopping the agent; containers keep running');
    const running = await docker.listContainers({ filters: { label: [`${NODE_LABEL}=${nodeName}`] } });
    expect(running.map((c) => c.Id).sort()).toEqual(ids);
  }, 30_000);

  it('left the host namespace’s iptables as they were', async () => {
    expect(oursIn(await hostIptables())).toEqual(hostTablesBefore);
  });
});

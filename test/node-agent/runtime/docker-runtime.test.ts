import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPodNetwork, vethName, type PodNetwork } from '../../../node-agent/network/pod-network.ts';
import type { ContainerRuntime, ContainerSpec, LogChunk, RuntimeContainer } from '../../../node-agent/runtime/container-runtime.ts';
import { createDockerRuntime, dockerTime, hostsFile, runtimeState, toRuntimeContainer, workingSetBytes } from '../../../node-agent/runtime/docker-runtime.ts';
import { createNetns, deleteNetns, sh, sweepContainers, testLabels } from '../support/throwaway.ts';

const TAG = 'docker-runtime';
const IMAGE = 'zp/busybox:1';
const docker = new Docker();

describe('docker-runtime pure helpers', () => {
  it.each([
    ['2024-05-01T10:11:12.123456789Z', 1714558272123],
    ['0001-01-01T00:00:00Z', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('converts Docker time %s to epoch ms %s', (value, expected) => {
    expect(dockerTime(value)).toBe(expected);
  });

  it.each([
    ['created', 'created'],
    ['running', 'running'],
    ['exited', 'exited'],
    ['dead', 'exited'],
    ['paused', 'unknown'],
    ['restarting', 'unknown'],
    ['removing', 'unknown'],
  ])('maps Docker status %s to %s', (status, state) => {
    expect(runtimeState(status)).toBe(state);
  });

  it.each([
    ['cgroup v1', { usage: 10_000, stats: { total_inactive_file: 4_000, inactive_file: 1 } }, 6_000],
    ['cgroup v2', { usage: 10_000, stats: { inactive_file: 3_000 } }, 7_000],
    ['more inactive than usage', { usage: 1_000, stats: { total_inactive_file: 4_000 } }, 0],
    ['no stats', undefined, 0],
  ])('computes the working set for %s', (_name, memory, expected) => {
    expect(workingSetBytes(memory)).toBe(expected);
  });

  const inspected = (state: Record<string, unknown>, labels: Record<string, string> = {}) =>
    ({
      Id: 'abc',
      Name: '/zp_default_web_app_0_12345678',
      Created: '2026-01-01T00:00:00.000000001Z',
      Image: 'sha256:feed',
      Config: { Image: 'zp/busybox:1', Labels: labels },
      State: { Status: 'exited', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 0, OOMKilled: false, Error: '', ...state },
    }) as unknown as Docker.ContainerInspectInfo;
  const T = Date.parse('2026-01-01T00:00:00Z');

  it.each([
    [
      'an exit that seems to precede its start',
      { StartedAt: '2026-01-01T00:00:01.010Z', FinishedAt: '2026-01-01T00:00:01.003Z', ExitCode: 7 },
      { state: 'exited', startedAt: T + 1010, finishedAt: T + 1010, exitCode: 7 },
    ],
    [
      'an OOM kill',
      { StartedAt: '2026-01-01T00:00:01Z', FinishedAt: '2026-01-01T00:00:09Z', ExitCode: 137, OOMKilled: true },
      { state: 'exited', startedAt: T + 1000, finishedAt: T + 9000, exitCode: 137, oomKilled: true },
    ],
    [
      'a failed start',
      { Status: 'created', ExitCode: 127, Error: 'exec: "nope": executable file not found in $PATH' },
      { state: 'created', exitCode: 127, error: 'exec: "nope": executable file not found in $PATH' },
    ],
    [
      'a running container restarted by hand (its old FinishedAt is not reported)',
      { Status: 'running', StartedAt: '2026-01-01T00:00:05Z', FinishedAt: '2026-01-01T00:00:02Z' },
      { state: 'running', startedAt: T + 5000 },
    ],
  ])('reads %s from docker inspect', (_name, state, expected) => {
    const c = toRuntimeContainer(inspected(state, { a: 'b' }));
    expect(c).toEqual({ id: 'abc', name: 'zp_default_web_app_0_12345678', labels: { a: 'b' }, image: 'zp/busybox:1', imageID: 'sha256:feed', createdAt: T, ...expected });
  });

  it('writes the pod IP and hostname into the managed hosts file', () => {
    expect(hostsFile('10.244.1.5', 'web-0')).toMatch(/^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n[\s\S]*\n10\.244\.1\.5\tweb-0\n$/);
  });
});

describe('DockerRuntime against the real dockerd', () => {
  let netns: string;
  let network: PodNetwork;
  let runtime: ContainerRuntime;
  let podFilesDir: string;
  let volumeDir: string;
  let nextIp = 10;
  const RESOLV = 'nameserver 10.244.3.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n';

  beforeAll(async () => {
    await sweepContainers(docker, TAG, 'dead');
    netns = await createNetns('rt');
    network = createPodNetwork({ netns, bridge: 'zpbr0', gatewayCidr: '10.244.3.1/24', serviceCidr: '10.96.0.0/16' });
    await network.ensureBridge();
    podFilesDir = await mkdtemp(join(tmpdir(), 'zp-rt-pods-'));
    volumeDir = await mkdtemp(join(tmpdir(), 'zp-rt-vol-'));
    runtime = createDockerRuntime({ network, podFilesDir });
  });

  afterAll(async () => {
    await sweepContainers(docker, TAG, 'mine');
    await deleteNetns(netns);
    await rm(podFilesDir, { recursive: true, force: true });
    await rm(volumeDir, { recursive: true, force: true });
  });

  interface TestPod {
    uid: string;
    ip: string;
    sandboxId: string;
  }

  async function newPod(hostname = 'pod'): Promise<TestPod> {
    const uid = randomUUID();
    const ip = `10.244.3.${nextIp++}`;
    const sandboxId = await runtime.createSandbox({
      podUid: uid,
      namespace: 'default',
      podName: `${hostname}-${uid.slice(0, 5)}`,
      hostname,
      ip,
      resolvConf: RESOLV,
      labels: { ...testLabels(TAG), 'zeroplane.io/pod-uid': uid, 'zeroplane.io/role': 'sandbox' },
    });
    return { uid, ip, sandboxId };
  }

  function spec(pod: TestPod, name: string, script: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      sandboxId: pod.sandboxId,
      name: `zp_test_${name}_${pod.uid.slice(0, 8)}`,
      image: IMAGE,
      entrypoint: ['sh', '-c'],
      args: [script],
      env: [],
      mounts: [],
      tty: false,
      stdin: false,
      labels: { ...testLabels(TAG), 'zeroplane.io/pod-uid': pod.uid, 'zeroplane.io/container': name },
      ...extra,
    };
  }

  async function run(pod: TestPod, name: string, script: string, extra: Partial<ContainerSpec> = {}): Promise<string> {
    const id = await runtime.createContainer(spec(pod, name, script, extra));
    await runtime.start(id);
    return id;
  }

  async function exited(id: string): Promise<RuntimeContainer> {
    await expect.poll(async () => (await runtime.inspect(id))?.state, { timeout: 20_000 }).toBe('exited');
    return (await runtime.inspect(id))!;
  }

  async function collect(chunks: AsyncIterable<LogChunk>): Promise<{ stdout: string; stderr: string; all: LogChunk[] }> {
    const all: LogChunk[] = [];
    for await (const c of chunks) all.push(c);
    const text = (s: LogChunk['stream']) => Buffer.concat(all.filter((c) => c.stream === s).map((c) => c.data)).toString();
    return { stdout: text('stdout'), stderr: text('stderr'), all };
  }

  const stdoutOf = async (id: string) => (await collect(runtime.logs(id, {}))).stdout;

  /** Polls an HTTP endpoint from inside the container; ends 0 once it answers (httpd may still be starting). */
  const fetchScript = (url: string) => `for i in $(seq 100); do wget -q -O - ${url} && exit 0; sleep 0.1; done; exit 1`;

  it('starts a sandbox wired to the bridge with its IP, and gives the pod its hostname, resolv.conf and hosts', async () => {
    const pod = await newPod('web-0');
    const sandbox = await runtime.inspect(pod.sandboxId);
    expect(sandbox?.state).toBe('running');
    expect(sandbox?.labels['zeroplane.io/pod-uid']).toBe(pod.uid);
    const pid = (await docker.getContainer(pod.sandboxId).inspect()).State.Pid;
    expect(await sh(['nsenter', '-t', String(pid), '-n', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`inet ${pod.ip}/24`);
    // The node's namespace reaches the pod's address over the bridge.
    await sh(['ip', 'netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', pod.ip]);

    const id = await run(pod, 'files', 'hostname; cat /etc/resolv.conf; cat /etc/hosts; cat /etc/hostname; ip -o -4 addr show dev eth0');
    expect((await exited(id)).exitCode).toBe(0);
    const out = await stdoutOf(id);
    expect(out.split('\n')[0]).toBe('web-0');
    expect(out).toContain(RESOLV);
    expect(out).toContain(`${pod.ip}\tweb-0`);
    expect(out).toMatch(/\nweb-0\n/);
    // The app container sees the sandbox's network namespace.
    expect(out).toContain(`inet ${pod.ip}/24`);
  });

  it('lets two containers of one pod talk over localhost', async () => {
    const pod = await newPod();
    await run(pod, 'server', 'mkdir -p /www && echo hello-from-server >/www/index.html && exec httpd -f -p 8080 -h /www');
    const client = await run(pod, 'client', fetchScript('http://127.0.0.1:8080/'));
    expect((await exited(client)).exitCode).toBe(0);
    expect(await stdoutOf(client)).toBe('hello-from-server\n');
  });

  it('lets two pods reach each other by IP over the bridge', async () => {
    const server = await newPod();
    const client = await newPod();
    await run(server, 'server', `mkdir -p /www && echo served-by-${server.ip} >/www/index.html && exec httpd -f -p 8080 -h /www`);
    const fetcher = await run(client, 'fetch', fetchScript(`http://${server.ip}:8080/`));
    expect((await exited(fetcher)).exitCode).toBe(0);
    expect(await stdoutOf(fetcher)).toBe(`served-by-${server.ip}\n`);
  });

  it('maps env, working directory, mounts and resource limits onto the container', async () => {
    const pod = await newPod();
    await writeFile(join(volumeDir, 'config.txt'), 'from-a-volume\n');
    const id = await run(pod, 'mapped', 'echo "$GREETING"; pwd; cat /config/config.txt; touch /config/x 2>/dev/null && echo writable || echo read-only', {
      env: [{ name: 'GREETING', value: 'hi there' }],
      workingDir: '/tmp',
      mounts: [{ hostPath: volumeDir, containerPath: '/config', readOnly: true }],
      nanoCpus: 500_000_000,
      cpuShares: 512,
      memoryBytes: 64 * 1024 * 1024,
    });
    expect((await exited(id)).exitCode).toBe(0);
    expect(await stdoutOf(id)).toBe('hi there\n/tmp\nfrom-a-volume\nread-only\n');
    const host = (await docker.getContainer(id).inspect()).HostConfig;
    expect(host).toMatchObject({ NanoCpus: 500_000_000, CpuShares: 512, Memory: 64 * 1024 * 1024, NetworkMode: `container:${pod.sandboxId}` });
  });

  it('keeps the image CMD when neither entrypoint nor args are given, and reports a failed start as an error', async () => {
    const pod = await newPod();
    const plain = await runtime.createContainer({ ...spec(pod, 'plain', ''), entrypoint: undefined, args: undefined, stdin: false });
    expect((await docker.getContainer(plain).inspect()).Config.Cmd).toEqual(['/bin/sh']);
    const broken = await runtime.createContainer({ ...spec(pod, 'broken', ''), entrypoint: ['/no/such/binary'], args: undefined });
    await expect(runtime.start(broken)).rejects.toThrow();
    const info = await runtime.inspect(broken);
    expect(info?.error).toMatch(/no such file|not found/i);
    expect(info?.exitCode).toBeGreaterThan(0);
  });

  it('reports exit code 7 with created, started and finished times in epoch ms', async () => {
    const pod = await newPod();
    const before = Date.now();
    const id = await run(pod, 'seven', 'exit 7');
    const c = await exited(id);
    expect(c.exitCode).toBe(7);
    expect(c.oomKilled).toBeUndefined();
    expect(c.image).toBe(IMAGE);
    expect(c.imageID).toMatch(/^sha256:/);
    expect(c.createdAt).toBeGreaterThanOrEqual(before - 2_000);
    expect(c.startedAt).toBeGreaterThanOrEqual(c.createdAt);
    expect(c.finishedAt).toBeGreaterThanOrEqual(c.startedAt!);
    expect(c.finishedAt).toBeLessThanOrEqual(Date.now() + 2_000);
  });

  it('stops a shell that traps TERM at once, and SIGKILLs one that ignores it after the grace period', async () => {
    const pod = await newPod();
    const polite = await run(pod, 'polite', "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done");
    const stubborn = await run(pod, 'stubborn', 'echo ready; while true; do sleep 0.1; done');
    await expect.poll(() => stdoutOf(polite)).toContain('ready');
    await expect.poll(() => stdoutOf(stubborn)).toContain('ready');

    let t = Date.now();
    await runtime.stop(polite, 10);
    const politeMs = Date.now() - t;
    t = Date.now();
    await runtime.stop(stubborn, 1);
    const stubbornMs = Date.now() - t;

    expect(politeMs).toBeLessThan(3_000);
    expect((await runtime.inspect(polite))?.exitCode).toBe(0);
    expect(await stdoutOf(polite)).toContain('got-term');
    expect(stubbornMs).toBeGreaterThanOrEqual(1_000);
    expect((await runtime.inspect(stubborn))?.exitCode).toBe(137);
    // Stopping what is stopped or gone is not an error.
    await runtime.stop(polite, 1);
    await runtime.stop('0000000000000000000000000000000000000000000000000000000000000000', 1);
  });

  it('returns logs split by stream, with tail, since and timestamps', async () => {
    const pod = await newPod();
    const id = await run(pod, 'logs', 'echo one; echo two; echo oops >&2; echo three; sleep 2.5; echo late');
    await exited(id);
    const all = await collect(runtime.logs(id, {}));
    expect(all.stdout).toBe('one\ntwo\nthree\nlate\n');
    expect(all.stderr).toBe('oops\n');
    // Docker keeps one log for both streams and counts tail lines across them; stdout and stderr come through
    // separate pipes, so where `oops` lands among the stdout lines is not fixed — only the last line is.
    const tail = await collect(runtime.logs(id, { tail: 2 }));
    expect((tail.stdout + tail.stderr).split('\n').filter(Boolean)).toHaveLength(2);
    expect(tail.stdout.endsWith('late\n')).toBe(true);

    const stamped = (await collect(runtime.logs(id, { timestamps: true }))).stdout.trim().split('\n');
    const lateAt = Date.parse(stamped.find((l) => l.endsWith(' late'))!.split(' ')[0]!);
    expect(lateAt).toBeGreaterThan(0);
    const since = await collect(runtime.logs(id, { since: lateAt - 300 }));
    expect(since.stdout).toBe('late\n');
    expect(since.stderr).toBe('');
  });

  it('follows logs until the container ends, and lets a reader stop early', async () => {
    const pod = await newPod();
    const ticking = await run(pod, 'ticks', 'for i in 1 2 3 4 5; do echo tick$i; sleep 0.2; done');
    const followed = await collect(runtime.logs(ticking, { follow: true }));
    expect(followed.stdout).toBe('tick1\ntick2\ntick3\ntick4\ntick5\n');

    const forever = await run(pod, 'forever', 'while true; do echo again; sleep 0.2; done');
    const seen: string[] = [];
    for await (const chunk of runtime.logs(forever, { follow: true })) {
      seen.push(Buffer.from(chunk.data).toString());
      if (seen.length === 2) break;
    }
    expect(seen.join('')).toContain('again');
  });

  it('execs a command with its output streams and exit code', async () => {
    const pod = await newPod();
    const id = await run(pod, 'exec-target', 'exec sleep 3600');
    const session = await runtime.exec(id, { command: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], stdin: false, stdout: true, stderr: true, tty: false });
    const out = await collect(session.output);
    expect(out.stdout).toBe('to-out\n');
    expect(out.stderr).toBe('to-err\n');
    expect(await session.exitCode).toBe(3);
    expect(session.write).toBeUndefined();
  });

  it('execs with stdin until EOF', async () => {
    const pod = await newPod();
    const id = await run(pod, 'exec-stdin', 'exec sleep 3600');
    const session = await runtime.exec(id, { command: ['sh', '-c', 'tr a-z A-Z'], stdin: true, stdout: true, stderr: true, tty: false });
    session.write!(new TextEncoder().encode('hello\nworld\n'));
    session.end!();
    expect((await collect(session.output)).stdout).toBe('HELLO\nWORLD\n');
    expect(await session.exitCode).toBe(0);
  });

  it('execs with a TTY that can be resized', async () => {
    const pod = await newPod();
    const id = await run(pod, 'exec-tty', 'exec sleep 3600');
    const session = await runtime.exec(id, { command: ['sh'], stdin: true, stdout: true, stderr: true, tty: true });
    await session.resize!({ rows: 42, cols: 101 });
    session.write!(new TextEncoder().encode('stty size; exit 5\n'));
    const out = await collect(session.output);
    expect(out.stdout).toContain('42 101');
    expect(out.stderr).toBe('');
    expect(await session.exitCode).toBe(5);
  });

  it('ensures images according to the pull mode, and a failed pull is a result that comes fast', async () => {
    const present = await runtime.ensureImage(IMAGE, 'never');
    expect(present).toMatchObject({ kind: 'present', pulled: false });
    expect(present.kind === 'present' && present.imageID).toMatch(/^sha256:/);
    expect(await runtime.ensureImage(IMAGE, 'ifNotPresent')).toMatchObject({ kind: 'present', pulled: false });
    expect(await runtime.ensureImage('zp/absent-image:1', 'never')).toEqual({ kind: 'absent' });

    // A registry on this machine that refuses connections: nothing leaves the host, and the refusal is immediate.
    const t = Date.now();
    const failed = await runtime.ensureImage('127.0.0.1:1/zp/unknown:1', 'always');
    expect(failed.kind).toBe('pullFailed');
    expect(failed.kind === 'pullFailed' && failed.message).toMatch(/127\.0\.0\.1:1/);
    expect(await runtime.ensureImage('127.0.0.1:1/zp/unknown:1', 'ifNotPresent')).toMatchObject({ kind: 'pullFailed' });
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  it('gives up a pull that does not answer within the pull timeout', async () => {
    // A port that accepts connections but never answers stands in for an unreachable registry.
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const impatient = createDockerRuntime({ network, podFilesDir, pullTimeoutMs: 500 });
      const t = Date.now();
      const result = await impatient.ensureImage(`127.0.0.1:${port}/zp/slow:1`, 'always');
      expect(result.kind).toBe('pullFailed');
      expect(Date.now() - t).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('reads plausible stats of a running container and none of a stopped or missing one', async () => {
    const pod = await newPod();
    const id = await run(pod, 'busy', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo done; exec sleep 3600', { memoryBytes: 64 * 1024 * 1024 });
    await expect.poll(() => stdoutOf(id), { timeout: 20_000 }).toContain('done');
    const stats = await runtime.stats(id);
    expect(stats).toBeDefined();
    expect(stats!.cpuUsageNanoseconds).toBeGreaterThan(1_000_000);
    expect(stats!.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(stats!.memoryWorkingSetBytes).toBeLessThan(64 * 1024 * 1024);
    expect(Math.abs(stats!.timestamp - Date.now())).toBeLessThan(10_000);

    const later = await runtime.stats(id);
    expect(later!.cpuUsageNanoseconds).toBeGreaterThanOrEqual(stats!.cpuUsageNanoseconds);
    await runtime.stop(id, 0);
    expect(await runtime.stats(id)).toBeUndefined();
    expect(await runtime.stats('0000000000000000000000000000000000000000000000000000000000000000')).toBeUndefined();
  });

  it('finds a pod by its labels from a new runtime object, as the agent does after a restart', async () => {
    const pod = await newPod();
    const app = await run(pod, 'app', 'exec sleep 3600');
    const restarted = createDockerRuntime({ network, podFilesDir });
    const found = await restarted.list({ 'zp-test': TAG, 'zeroplane.io/pod-uid': pod.uid });
    expect(found.map((c) => c.id).sort()).toEqual([pod.sandboxId, app].sort());
    const appSeen = found.find((c) => c.id === app)!;
    expect(appSeen).toMatchObject({ state: 'running', image: IMAGE, labels: expect.objectContaining({ 'zeroplane.io/container': 'app' }) });
    expect(appSeen.startedAt).toBeGreaterThan(0);
    // The new object can add containers to a sandbox an earlier one created.
    const sibling = await restarted.createContainer(spec(pod, 'sibling', 'cat /etc/resolv.conf'));
    await restarted.start(sibling);
    await exited(sibling);
    expect(await stdoutOf(sibling)).toBe(RESOLV);
  });

  it('removes containers idempotently, and a removed sandbox takes its veth and pod files along', async () => {
    const pod = await newPod();
    const app = await run(pod, 'doomed', 'exec sleep 3600');
    await runtime.remove(app);
    await runtime.remove(app);
    expect(await runtime.inspect(app)).toBeUndefined();

    const veth = vethName(pod.uid);
    await sh(['ip', '-n', netns, 'link', 'show', 'dev', veth]);
    expect(existsSync(join(podFilesDir, pod.uid, 'resolv.conf'))).toBe(true);
    await runtime.remove(pod.sandboxId);
    await runtime.remove(pod.sandboxId);
    expect(await runtime.inspect(pod.sandboxId)).toBeUndefined();
    await expect(sh(['ip', '-n', netns, 'link', 'show', 'dev', veth])).rejects.toThrow();
    expect(existsSync(join(podFilesDir, pod.uid))).toBe(false);
  });

  it('keeps the network and files of a pod whose replaced sandbox is removed after the new one started', async () => {
    const pod = await newPod();
    await runtime.stop(pod.sandboxId, 0);
    const replacement = await runtime.createSandbox({
      podUid: pod.uid,
      name: `zp_default_replaced_sandbox_${pod.uid.slice(0, 8)}_1`,
      namespace: 'default',
      podName: 'replaced',
      hostname: 'replaced',
      ip: pod.ip,
      resolvConf: RESOLV,
      labels: { ...testLabels(TAG), 'zeroplane.io/pod-uid': pod.uid },
    });
    await runtime.remove(pod.sandboxId);
    await sh(['ip', '-n', netns, 'link', 'show', 'dev', vethName(pod.uid)]);
    expect(existsSync(join(podFilesDir, pod.uid, 'hosts'))).toBe(true);
    await sh(['ip', 'netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', pod.ip]);
    await runtime.remove(replacement);
  });
});

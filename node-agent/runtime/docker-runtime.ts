/**
 * The ContainerRuntime port over dockerd's Engine API (dockerode), shaped like the ECS agent's dockerapi client.
 *
 * A pod is a sandbox container (the pause image, `NetworkMode: none`, its IPC namespace shareable) whose network
 * namespace PodNetwork wires to the node's bridge with the pod's IP; app containers join its network and IPC
 * namespaces with `container:<sandboxId>` (each keeps its own PID namespace, Kubernetes' default). Docker copies
 * the sandbox's hostname into joined containers; /etc/resolv.conf, /etc/hosts and /etc/hostname are bind-mounted
 * from a per-pod directory this adapter writes (Docker skips its own files for paths the container mounts).
 *
 * Everything the agent needs after a restart lives in Docker (labels, states, times), so a fresh object over the
 * same daemon sees what an earlier one created. Expected outcomes (missing container, image absent, pull failed)
 * are results; only unexpected daemon errors throw.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import Docker from 'dockerode';
import type { PodNetwork } from '../network/pod-network.ts';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerStats,
  EnsureImageResult,
  ExecSession,
  LogChunk,
  RuntimeContainer,
  RuntimeContainerState,
  SandboxSpec,
} from './container-runtime.ts';
import { chunksOf } from './docker-streams.ts';

/** Labels this adapter adds to what the agent asked for. */
export const RUNTIME_LABEL = {
  /** On a sandbox: the pod uid whose network and files it owns (read back when it is removed). */
  sandboxOf: 'zeroplane.io/sandbox-of',
} as const;

export interface DockerRuntimeOptions {
  /** The Engine API client; default: the daemon's Unix socket. */
  docker?: Docker;
  network: PodNetwork;
  /** Image of the sandbox containers (must be present: it is never pulled). Default `zp/pause:1`. */
  sandboxImage?: string;
  /** Where each pod's resolv.conf, hosts and hostname files are written (a subdirectory per pod). */
  podFilesDir?: string;
  /** A pull that has not finished by then fails as ErrImagePull (there may be no reachable registry). */
  pullTimeoutMs?: number;
}

export const DEFAULT_SANDBOX_IMAGE = 'zp/pause:1';
export const DEFAULT_POD_FILES_DIR = '/var/lib/zeroplane/pods';
export const DEFAULT_PULL_TIMEOUT_MS = 60_000;

/** Docker's zero time (`0001-01-01T00:00:00Z`) means "never". */
export function dockerTime(value: string | undefined): number | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function runtimeState(status: string | undefined): RuntimeContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

export function toRuntimeContainer(info: Docker.ContainerInspectInfo): RuntimeContainer {
  const state = runtimeState(info.State.Status);
  const c: RuntimeContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    labels: info.Config.Labels ?? {},
    image: info.Config.Image,
    imageID: info.Image,
    state,
    createdAt: dockerTime(info.Created) ?? 0,
  };
  const startedAt = dockerTime(info.State.StartedAt);
  const finishedAt = dockerTime(info.State.FinishedAt);
  if (startedAt !== undefined) c.startedAt = startedAt;
  // The exit time comes from containerd's exit event and StartedAt from the daemon after start returned: a process
  // that exits at once can seem to finish a few ms before it started. Never report time running backwards.
  if (finishedAt !== undefined && state !== 'running') c.finishedAt = Math.max(finishedAt, startedAt ?? finishedAt);
  if (info.State.Error) c.error = info.State.Error;
  if (state === 'exited' || c.error) c.exitCode = info.State.ExitCode;
  if (info.State.OOMKilled) c.oomKilled = true;
  return c;
}

/** The Kubernetes-managed /etc/hosts (kubelet's managedHostsHeader and default entries). */
export function hostsFile(ip: string, hostname: string): string {
  return [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    `${ip}\t${hostname}`,
    '',
  ].join('\n');
}

/** Working set as the kubelet computes it: usage minus inactive file cache (cgroup v1 and v2 names). */
export function workingSetBytes(memory: { usage?: number; stats?: Record<string, number> } | undefined): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const inactive = stats['total_inactive_file'] ?? stats['inactive_file'] ?? 0;
  return Math.max(0, usage - inactive);
}

interface DockerError {
  statusCode?: number;
  json?: { message?: string };
  message?: string;
}

const statusOf = (e: unknown): number | undefined => (e as DockerError | undefined)?.statusCode;
const messageOf = (e: unknown): string => {
  const d = e as DockerError | undefined;
  return (d?.json?.message ?? d?.message ?? String(e)).trim();
};

/** Runs `call`, mapping the listed HTTP statuses to `fallback` (Docker's "not found", "not modified", …). */
async function unless<T>(statuses: number[], fallback: T, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (statuses.includes(statusOf(e) ?? -1)) return fallback;
    throw e;
  }
}

const SAFE_DIR_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function createDockerRuntime(options: DockerRuntimeOptions): ContainerRuntime {
  const docker = options.docker ?? new Docker();
  const network = options.network;
  const sandboxImage = options.sandboxImage ?? DEFAULT_SANDBOX_IMAGE;
  const podFilesDir = options.podFilesDir ?? DEFAULT_POD_FILES_DIR;
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  /** sandbox id → pod uid, so creating a pod's containers needs no inspect (filled from labels after a restart). */
  const sandboxPods = new Map<string, string>();

  const podDir = (podUid: string) => {
    if (!SAFE_DIR_NAME.test(podUid) || podUid === '.' || podUid === '..') throw new Error(`unsafe pod uid ${JSON.stringify(podUid)}`);
    return join(podFilesDir, podUid);
  };
  const podFileMounts = (podUid: string): Docker.MountSettings[] =>
    (['resolv.conf', 'hosts', 'hostname'] as const).map((file) => ({
      Type: 'bind',
      Source: join(podDir(podUid), file),
      Target: `/etc/${file}`,
      ReadOnly: false,
    }));

  async function inspectInfo(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    return unless([404], undefined, () => docker.getContainer(id).inspect());
  }

  async function imageId(ref: string): Promise<string | undefined> {
    const info = await unless([404], undefined, () => docker.getImage(ref).inspect());
    return info?.Id;
  }

  /** Pulls `ref`; returns the failure message, undefined on success. Errors inside the progress stream count. */
  async function pull(ref: string): Promise<string | undefined> {
    const abortSignal = AbortSignal.timeout(pullTimeoutMs);
    try {
      const stream = (await docker.pull(ref, { abortSignal })) as Readable;
      const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => (err ? reject(err) : resolve(output)));
      });
      const failed = events.find((e) => e.error);
      return failed ? `failed to pull image "${ref}": ${failed.error}` : undefined;
    } catch (e) {
      if (abortSignal.aborted) return `failed to pull image "${ref}": no answer within ${pullTimeoutMs} ms`;
      return `failed to pull image "${ref}": ${messageOf(e)}`;
    }
  }

  async function podOfSandbox(sandboxId: string): Promise<string> {
    const cached = sandboxPods.get(sandboxId);
    if (cached) return cached;
    const info = await inspectInfo(sandboxId);
    const podUid = info?.Config.Labels?.[RUNTIME_LABEL.sandboxOf];
    if (!podUid) throw new Error(`sandbox ${sandboxId} does not exist or is not a sandbox`);
    sandboxPods.set(info.Id, podUid);
    return podUid;
  }

  async function writePodFiles(spec: SandboxSpec): Promise<void> {
    const dir = podDir(spec.podUid);
    await mkdir(dir, { recursive: true });
    await Promise.all([
      writeFile(join(dir, 'resolv.conf'), spec.resolvConf),
      writeFile(join(dir, 'hosts'), hostsFile(spec.ip, spec.hostname)),
      writeFile(join(dir, 'hostname'), `${spec.hostname}\n`),
    ]);
  }

  async function removeForced(id: string): Promise<void> {
    // 409: a removal already in progress, which ends the same way.
    await unless([404, 409], undefined, () => docker.getContainer(id).remove({ force: true, v: true }));
  }

  return {
    async ensureImage(ref, mode): Promise<EnsureImageResult> {
      if (mode !== 'always') {
        const id = await imageId(ref);
        if (id) return { kind: 'present', imageID: id, pulled: false };
        if (mode === 'never') return { kind: 'absent' };
      }
      const failure = await pull(ref);
      if (failure) return { kind: 'pullFailed', message: failure };
      const id = await imageId(ref);
      return id ? { kind: 'present', imageID: id, pulled: true } : { kind: 'pullFailed', message: `image "${ref}" is not present after its pull` };
    },

    async createSandbox(spec) {
      await writePodFiles(spec);
      const container = await docker.createContainer({
        name: spec.name ?? `zp_${spec.namespace}_${spec.podName}_sandbox_${spec.podUid.slice(0, 8)}`,
        Image: sandboxImage,
        Hostname: spec.hostname,
        Labels: { ...spec.labels, [RUNTIME_LABEL.sandboxOf]: spec.podUid },
        // The pause process holds nothing worth a graceful stop (and PID 1 ignores SIGTERM): stop is immediate.
        StopSignal: 'SIGKILL',
        HostConfig: {
          NetworkMode: 'none',
          // Docker's default IPC mode is private; joining with container:<id> needs the owner to be shareable.
          IpcMode: 'shareable',
          Mounts: podFileMounts(spec.podUid),
        },
      });
      sandboxPods.set(container.id, spec.podUid);
      try {
        await container.start();
        const info = await container.inspect();
        await network.attach(info.State.Pid, spec.ip, spec.podUid);
      } catch (e) {
        // A sandbox without its network is useless: leave nothing behind, the agent retries with a new one.
        await removeForced(container.id);
        sandboxPods.delete(container.id);
        throw e;
      }
      return container.id;
    },

    async createContainer(spec: ContainerSpec) {
      const podUid = await podOfSandbox(spec.sandboxId);
      const mounts: Docker.MountSettings[] = [
        ...podFileMounts(podUid),
        ...spec.mounts.map((m) => ({ Type: 'bind' as const, Source: m.hostPath, Target: m.containerPath, ReadOnly: m.readOnly })),
      ];
      const hostConfig: Docker.HostConfig = {
        NetworkMode: `container:${spec.sandboxId}`,
        IpcMode: `container:${spec.sandboxId}`,
        Mounts: mounts,
      };
      if (spec.nanoCpus !== undefined) hostConfig.NanoCpus = spec.nanoCpus;
      if (spec.cpuShares !== undefined) hostConfig.CpuShares = spec.cpuShares;
      if (spec.memoryBytes !== undefined) {
        hostConfig.Memory = spec.memoryBytes;
        // No swap beyond the limit, as the kubelet configures it.
        hostConfig.MemorySwap = spec.memoryBytes;
      }
      const create: Docker.ContainerCreateOptions = {
        name: spec.name,
        Image: spec.image,
        Env: spec.env.map((e) => `${e.name}=${e.value}`),
        Labels: spec.labels,
        Tty: spec.tty,
        OpenStdin: spec.stdin,
        // Kubernetes' stdinOnce is not in the port: stdin stays open for later attaches.
        StdinOnce: false,
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        HostConfig: hostConfig,
      };
      // Docker drops the image's CMD when Entrypoint is given, which is Kubernetes' `command` semantics.
      if (spec.entrypoint !== undefined) create.Entrypoint = spec.entrypoint;
      if (spec.args !== undefined) create.Cmd = spec.args;
      if (spec.workingDir !== undefined) create.WorkingDir = spec.workingDir;
      const container = await docker.createContainer(create);
      return container.id;
    },

    async start(id) {
      // 304: already running.
      await unless([304], undefined, () => docker.getContainer(id).start());
    },

    async stop(id, graceSeconds) {
      // 304: already stopped; 404: gone. Docker sends the image's StopSignal (SIGTERM), then SIGKILL after t.
      await unless([304, 404], undefined, () => docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceSeconds)) }));
    },

    async remove(id) {
      const info = await inspectInfo(id);
      if (!info) return;
      await removeForced(info.Id);
      const podUid = info.Config.Labels?.[RUNTIME_LABEL.sandboxOf];
      sandboxPods.delete(info.Id);
      if (!podUid) return;
      // A replaced sandbox of the same pod shares the veth name and the files: leave them to the newest one.
      const others = await docker.listContainers({ all: true, filters: { label: [`${RUNTIME_LABEL.sandboxOf}=${podUid}`] } });
      if (others.some((c) => c.Id !== info.Id)) return;
      await network.detach(podUid);
      await rm(podDir(podUid), { recursive: true, force: true });
    },

    async inspect(id) {
      const info = await inspectInfo(id);
      return info && toRuntimeContainer(info);
    },

    async list(labels) {
      const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
      const summaries = await docker.listContainers({ all: true, filters });
      const infos = await Promise.all(summaries.map((s) => inspectInfo(s.Id)));
      return infos.filter((i): i is Docker.ContainerInspectInfo => i !== undefined).map(toRuntimeContainer);
    },

    logs(id, options): AsyncIterable<LogChunk> {
      return {
        async *[Symbol.asyncIterator]() {
          const container = docker.getContainer(id);
          const info = await container.inspect();
          const query = {
            stdout: true,
            stderr: true,
            timestamps: options.timestamps ?? false,
            // Docker takes seconds with a fraction (`1700000000.123`).
            ...(options.since !== undefined ? { since: (options.since / 1000).toFixed(3) } : {}),
            ...(options.tail !== undefined ? { tail: options.tail } : {}),
          };
          let source: Readable;
          if (options.follow) {
            source = (await container.logs({ ...query, follow: true })) as Readable;
          } else {
            // Without follow dockerode answers with the whole body as one Buffer.
            const body = (await container.logs({ ...query, follow: false })) as Buffer;
            source = new PassThrough();
            (source as PassThrough).end(body);
          }
          yield* chunksOf(docker, source, info.Config.Tty);
        },
      };
    },

    async exec(id, options): Promise<ExecSession> {
      const exec = await docker.getContainer(id).exec({
        Cmd: options.command,
        AttachStdin: options.stdin,
        AttachStdout: options.stdout,
        AttachStderr: options.stderr,
        Tty: options.tty,
      });
      const socket = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty })) as Duplex;
      const closed = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.once('end', () => resolve());
      });
      // The stream can end a moment before the daemon records the exit: ask until it is no longer running.
      const exitCode = closed.then(async () => {
        for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
          const info = await exec.inspect();
          if (!info.Running) return info.ExitCode ?? 0;
          await new Promise((r) => setTimeout(r, delay));
        }
      });
      const session: ExecSession = {
        output: chunksOf(docker, socket, options.tty),
        exitCode,
        resize: async ({ rows, cols }) => {
          await exec.resize({ h: rows, w: cols });
        },
      };
      if (options.stdin) {
        session.write = (data) => {
          socket.write(data);
        };
        session.end = () => {
          socket.end();
        };
      }
      return session;
    },

    async stats(id): Promise<ContainerStats | undefined> {
      const info = await inspectInfo(id);
      if (!info || !info.State.Running) return undefined;
      // one-shot: a single reading without the second sample Docker otherwise waits ~1 s for (API ≥ 1.41).
      const s = await unless([404, 409], undefined, () => docker.getContainer(id).stats({ stream: false, 'one-shot': true }));
      if (!s) return undefined;
      return {
        timestamp: dockerTime(s.read) ?? Date.now(),
        cpuUsageNanoseconds: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
        memoryWorkingSetBytes: workingSetBytes(s.memory_stats as { usage?: number; stats?: Record<string, number> }),
      };
    },
  };
}

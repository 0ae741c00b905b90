/**
 * The ContainerRuntime port: everything the node agent asks of a container engine, in plain data.
 *
 * Shaped like virtual-kubelet's PodLifecycleHandler and the ECS agent's DockerClient: small verbs, `remove`
 * idempotent, and enough in `list`/`inspect` (labels, states, times, exit codes) for the agent to recover every
 * pod's known state after a restart without any file of its own. The Docker adapter implements it; tests use an
 * in-memory fake implementing the same interface.
 *
 * Times are epoch milliseconds; the adapter converts Docker's RFC 3339 nanosecond strings.
 */

/** How an image must be made present (the container's imagePullPolicy, already decided per start). */
export type ImagePullMode = 'always' | 'ifNotPresent' | 'never';

export type EnsureImageResult =
  /** The image is present locally (pulled now or found); imageID is the runtime's content id (`sha256:…`). */
  | { kind: 'present'; imageID: string; pulled: boolean }
  /** Mode `never` and the image is not present: ErrImageNeverPull, nothing was attempted. */
  | { kind: 'absent' }
  /** The pull was attempted and failed (unknown image, no registry, auth): ErrImagePull. */
  | { kind: 'pullFailed'; message: string };

/** Runtime-level container state (Docker's `created`/`running`/`exited`, with `paused`/`restarting` → `unknown`). */
export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainer {
  id: string;
  /** The engine's own name (`zp_<ns>_<pod>_<container>_<attempt>`); informational, labels are authoritative. */
  name: string;
  labels: Record<string, string>;
  /** The image reference the container was created from, as the pod spec named it. */
  image: string;
  /** The engine's image id (`sha256:…`). */
  imageID: string;
  state: RuntimeContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** True when the kernel OOM killer ended the container (Docker's State.OOMKilled). */
  oomKilled?: boolean;
  /** The engine's error when start failed (Docker's State.Error), e.g. `exec: "x": executable file not found`. */
  error?: string;
}

export interface Mount {
  /** Absolute host path (emptyDir/configMap/secret directories are materialised by the agent). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  podUid: string;
  /** The engine's name (`runtimeSandboxName`); default `zp_<ns>_<pod>_sandbox_<uid8>`. Informational. */
  name?: string;
  namespace: string;
  podName: string;
  /** The pod's hostname (spec.hostname or the pod name, truncated to 63). */
  hostname: string;
  /** The IP the agent allocated from its pod CIDR; the adapter wires it into the sandbox's network namespace. */
  ip: string;
  /** The resolv.conf text every container of the pod gets. */
  resolvConf: string;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  sandboxId: string;
  /** The engine's name; unique per attempt so the previous instance survives for `logs --previous`. */
  name: string;
  image: string;
  /** Entrypoint override (pod `command`); undefined keeps the image's. */
  entrypoint?: string[];
  /** Arguments (pod `args`); undefined keeps the image's CMD when entrypoint is also undefined. */
  args?: string[];
  env: Array<{ name: string; value: string }>;
  workingDir?: string;
  mounts: Mount[];
  /** CPU limit in nano-CPUs (Docker NanoCpus); undefined means unlimited. */
  nanoCpus?: number;
  /** CPU request as relative shares (cgroup cpu.shares, 2–262144). */
  cpuShares?: number;
  /** Memory limit in bytes; undefined means unlimited. */
  memoryBytes?: number;
  tty: boolean;
  stdin: boolean;
  labels: Record<string, string>;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Only lines written at or after this time (epoch ms). */
  since?: number;
  timestamps?: boolean;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A running exec: byte streams in both directions and the exit code once it ends. */
export interface ExecSession {
  /** Bytes for the process's stdin (absent when `stdin` was false). */
  write?(data: Uint8Array): void;
  /** Close stdin (EOF). */
  end?(): void;
  output: AsyncIterable<LogChunk>;
  resize?(size: { rows: number; cols: number }): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  exitCode: Promise<number>;
}

/** One reading of a running container's resource use (what metrics.k8s.io and the HPA are fed from). */
export interface ContainerStats {
  /** Epoch ms of the reading. */
  timestamp: number;
  /** Cumulative CPU time used since the container started, in nanoseconds (cgroup cpuacct.usage). */
  cpuUsageNanoseconds: number;
  /** Working set in bytes: usage minus inactive file cache, as the kubelet reports it. */
  memoryWorkingSetBytes: number;
}

export interface ContainerRuntime {
  /** Makes `ref` present according to `mode`; failures are results, not exceptions. */
  ensureImage(ref: string, mode: ImagePullMode): Promise<EnsureImageResult>;
  /** Creates and starts the pod's sandbox (owner of its network namespace, IP wired in); returns its id. */
  createSandbox(spec: SandboxSpec): Promise<string>;
  /** Creates (does not start) a container joined to the sandbox's namespaces; returns its id. */
  createContainer(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; stopping a stopped or missing container is not an error. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Force-removes the container; removing a missing one succeeds (idempotent). */
  remove(id: string): Promise<void>;
  /** undefined when the container does not exist. */
  inspect(id: string): Promise<RuntimeContainer | undefined>;
  /** Every container (any state) carrying all the given labels. */
  list(labels: Record<string, string>): Promise<RuntimeContainer[]>;
  logs(id: string, options: LogOptions): AsyncIterable<LogChunk>;
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /** One resource reading; undefined when the container does not exist or is not running. */
  stats(id: string): Promise<ContainerStats | undefined>;
}

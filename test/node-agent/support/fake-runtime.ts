/**
 * An in-memory ContainerRuntime for agent tests: containers are records that run until told otherwise. A
 * container exits by itself when its command ends in `exit N` (`sh -c "exit 7"`), or when a test calls exit().
 * stop() ends a container at once (processes honour SIGTERM here), so graceful termination costs no time.
 * Every call is counted, so tests can assert "nothing was restarted" after an agent restart.
 */
import { randomBytes } from 'node:crypto';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerStats,
  EnsureImageResult,
  ExecOptions,
  ExecSession,
  ImagePullMode,
  LogChunk,
  LogOptions,
  RuntimeContainer,
  SandboxSpec,
} from '../../../node-agent/runtime/container-runtime.ts';

export interface FakeContainer extends RuntimeContainer {
  spec?: ContainerSpec;
  sandbox?: SandboxSpec;
  logs: string[];
}

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  /** Images present locally, by reference; `pullable` ones can be pulled. */
  readonly images = new Set<string>(['zp/busybox:1', 'zp/pause:1']);
  readonly pullable = new Set<string>();
  readonly calls = { ensureImage: 0, createSandbox: 0, createContainer: 0, start: 0, stop: 0, remove: 0, list: 0, exec: 0 };
  /** exec results by command text (default 0). */
  readonly execExitCodes = new Map<string, number>();
  private clock = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Strictly increasing creation times: the planner orders instances and sandboxes by them. */
  private stamp(): number {
    this.clock = Math.max(this.clock + 1, this.now());
    return this.clock;
  }

  async ensureImage(ref: string, mode: ImagePullMode): Promise<EnsureImageResult> {
    this.calls.ensureImage++;
    const present = this.images.has(ref);
    if (mode === 'never') return present ? { kind: 'present', imageID: this.imageID(ref), pulled: false } : { kind: 'absent' };
    if (present && mode === 'ifNotPresent') return { kind: 'present', imageID: this.imageID(ref), pulled: false };
    if (this.pullable.has(ref)) {
      this.images.add(ref);
      return { kind: 'present', imageID: this.imageID(ref), pulled: true };
    }
    if (present) return { kind: 'present', imageID: this.imageID(ref), pulled: false };
    return { kind: 'pullFailed', message: `pull access denied for ${ref}, repository does not exist` };
  }

  imageID(ref: string): string {
    return `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  }

  async createSandbox(spec: SandboxSpec): Promise<string> {
    this.calls.createSandbox++;
    const id = randomBytes(32).toString('hex');
    const at = this.stamp();
    this.containers.set(id, { id, name: `zp_sandbox_${spec.podName}`, labels: { ...spec.labels }, image: 'zp/pause:1', imageID: this.imageID('zp/pause:1'), state: 'running', createdAt: at, startedAt: at, sandbox: spec, logs: [] });
    return id;
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.calls.createContainer++;
    const sandbox = this.containers.get(spec.sandboxId);
    if (!sandbox || sandbox.state !== 'running') throw new Error(`sandbox ${spec.sandboxId} is not running`);
    if (!this.images.has(spec.image)) throw new Error(`No such image: ${spec.image}`);
    for (const c of this.containers.values()) if (c.name === spec.name) throw new Error(`Conflict. The container name "/${spec.name}" is already in use`);
    const id = randomBytes(32).toString('hex');
    this.containers.set(id, { id, name: spec.name, labels: { ...spec.labels }, image: spec.image, imageID: this.imageID(spec.image), state: 'created', createdAt: this.stamp(), spec, logs: [] });
    return id;
  }

  async start(id: string): Promise<void> {
    this.calls.start++;
    const c = this.containers.get(id);
    if (!c) throw new Error(`No such container: ${id}`);
    if (c.state === 'running') return;
    c.state = 'running';
    c.startedAt = this.stamp();
    delete c.finishedAt;
    delete c.exitCode;
    const command = [...(c.spec?.entrypoint ?? []), ...(c.spec?.args ?? [])].join(' ');
    const exit = /exit (\d+)\s*$/.exec(command);
    if (exit) this.exit(id, Number(exit[1]));
  }

  /** The container's process ends with this code. */
  exit(id: string, exitCode: number): void {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = this.stamp();
  }

  async stop(id: string, _graceSeconds: number): Promise<void> {
    this.calls.stop++;
    const c = this.containers.get(id);
    if (c?.state === 'running') this.exit(id, 143);
  }

  async remove(id: string): Promise<void> {
    this.calls.remove++;
    this.containers.delete(id);
  }

  async inspect(id: string): Promise<RuntimeContainer | undefined> {
    const c = this.containers.get(id);
    return c ? this.view(c) : undefined;
  }

  private view(c: FakeContainer): RuntimeContainer {
    const { spec: _spec, sandbox: _sandbox, logs: _logs, ...rest } = c;
    return { ...rest, labels: { ...c.labels } };
  }

  async list(labels: Record<string, string>): Promise<RuntimeContainer[]> {
    this.calls.list++;
    return [...this.containers.values()].filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v)).map((c) => this.view(c));
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogChunk> {
    const lines = this.containers.get(id)?.logs ?? [];
    for (const line of options.tail !== undefined ? lines.slice(-options.tail) : lines) yield { stream: 'stdout', data: Buffer.from(`${line}\n`) };
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    this.calls.exec++;
    if (this.containers.get(id)?.state !== 'running') throw new Error(`container ${id} is not running`);
    const code = this.execExitCodes.get(options.command.join(' ')) ?? 0;
    return { output: (async function* () {})(), exitCode: Promise.resolve(code) };
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    if (c?.state !== 'running') return undefined;
    return { timestamp: this.now(), cpuUsageNanoseconds: (this.now() - (c.startedAt ?? c.createdAt)) * 1000, memoryWorkingSetBytes: 4 * 1024 * 1024 };
  }

  /** Containers (not sandboxes) of a pod, by pod name. */
  containersOf(podName: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.labels['zeroplane.io/pod-name'] === podName && c.labels['zeroplane.io/role'] !== 'sandbox');
  }
}

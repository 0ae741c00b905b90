/**
 * The two runtime verbs the node server uses (logs, exec), on the real dockerd through dockerode — test support
 * so the node server can be exercised against real containers independently of the agent's own Docker adapter.
 */
import Docker from 'dockerode';
import type { Duplex, Readable } from 'node:stream';
import type { ContainerRuntime, ExecSession, LogChunk } from '../../../node-agent/runtime/container-runtime.ts';

/** Splits Docker's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian length). */
async function* demux(source: AsyncIterable<Buffer>): AsyncGenerator<LogChunk> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      yield { stream: pending[0] === 2 ? 'stderr' : 'stdout', data: pending.subarray(8, 8 + size) };
      pending = pending.subarray(8 + size);
    }
  }
}

async function* raw(source: AsyncIterable<Buffer>): AsyncGenerator<LogChunk> {
  for await (const chunk of source) yield { stream: 'stdout', data: chunk };
}

export function dockerStreams(docker = new Docker()): Pick<ContainerRuntime, 'logs' | 'exec'> {
  return {
    async *logs(id, options) {
      const container = docker.getContainer(id);
      const info = await container.inspect();
      const base = { stdout: true, stderr: true, timestamps: options.timestamps ?? false, ...(options.tail !== undefined ? { tail: options.tail } : {}), since: options.since ? options.since / 1000 : 0 };
      let source: AsyncIterable<Buffer>;
      if (options.follow) source = (await container.logs({ ...base, follow: true })) as unknown as Readable;
      else {
        const all = await container.logs({ ...base, follow: false });
        source = (async function* () {
          yield all;
        })();
      }
      try {
        yield* info.Config.Tty ? raw(source) : demux(source);
      } finally {
        (source as Partial<Readable>).destroy?.();
      }
    },
    async exec(id, options): Promise<ExecSession> {
      const exec = await docker.getContainer(id).exec({
        Cmd: options.command,
        AttachStdin: options.stdin,
        AttachStdout: options.stdout,
        AttachStderr: options.stderr,
        Tty: options.tty,
      });
      const stream = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty })) as Duplex;
      const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      return {
        write: options.stdin ? (data) => void stream.write(data) : undefined,
        end: options.stdin ? () => void stream.end() : undefined,
        output: options.tty ? raw(stream) : demux(stream),
        resize: async ({ rows, cols }) => void (await exec.resize({ h: rows, w: cols })),
        exitCode: ended.then(async () => (await exec.inspect()).ExitCode ?? -1),
      };
    },
  };
}

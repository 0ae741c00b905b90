/**
 * Docker's attach/log byte streams as `AsyncIterable<LogChunk>`: a container without a TTY multiplexes stdout and
 * stderr in 8-byte-header frames (split with docker-modem's demuxStream), one with a TTY sends raw bytes (all
 * stdout). The source is paused while the consumer lags and destroyed when the consumer stops early.
 */
import { Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogChunk } from './container-runtime.ts';

/** Chunks buffered before the source is paused. */
const HIGH_WATER_CHUNKS = 256;

export function chunksOf(docker: Docker, source: Readable, tty: boolean): AsyncIterable<LogChunk> {
  const queue: LogChunk[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const push = (stream: LogChunk['stream'], data: Buffer) => {
    if (data.length === 0) return;
    queue.push({ stream, data: new Uint8Array(data) });
    if (queue.length >= HIGH_WATER_CHUNKS) source.pause();
    notify();
  };
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    failure = error;
    notify();
  };
  const sink = (stream: LogChunk['stream']) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        push(stream, chunk);
        callback();
      },
    });
  if (tty) source.on('data', (data: Buffer) => push('stdout', data));
  else docker.modem.demuxStream(source, sink('stdout'), sink('stderr'));
  source.on('end', () => finish());
  source.on('close', () => finish());
  source.on('error', (e) => finish(e));

  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const next = queue.shift();
          if (next) {
            if (queue.length < HIGH_WATER_CHUNKS / 2 && source.isPaused()) source.resume();
            yield next;
            continue;
          }
          if (ended) {
            if (failure) throw failure;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        // The consumer stopped early (or the stream ended): release the connection either way.
        if (!source.destroyed) source.destroy();
      }
    },
  };
}

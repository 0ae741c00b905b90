/**
 * GET /containerLogs/NS/POD/C: a container's output as text/plain, streamed as the runtime yields it (stdout and
 * stderr interleaved, as the kubelet serves them). With follow it stays open until the container ends or the
 * caller leaves; limitBytes cuts the body short.
 */
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/container-runtime.ts';
import type { ContainerLogRequest } from './node-requests.ts';

function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (res.write(chunk)) resolve();
    else {
      // Backpressure: a slow reader must not make us hold a followed log in memory.
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    }
  });
}

export async function streamContainerLogs(
  runtime: Pick<ContainerRuntime, 'logs'>,
  containerId: string,
  request: ContainerLogRequest,
  res: ServerResponse,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain' });
  // Headers now: the API (and kubectl behind it) waits for them before it shows a followed log.
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const iterator = runtime.logs(containerId, request.runtime)[Symbol.asyncIterator]();
  let left = request.limitBytes ?? Infinity;
  // A followed log may stay silent for hours: stop waiting for it as soon as the caller leaves.
  const closed = new Promise<'closed'>((resolve) => res.once('close', () => resolve('closed')));
  try {
    while (!res.destroyed && left > 0) {
      const next = await Promise.race([iterator.next(), closed]);
      if (next === 'closed' || next.done) break;
      const data = next.value.data.length > left ? next.value.data.subarray(0, left) : next.value.data;
      left -= data.length;
      await write(res, data);
    }
  } finally {
    // Not awaited: a generator parked in next() only returns after its next chunk.
    iterator.return?.().catch(() => undefined);
    if (!res.destroyed) res.end();
  }
}

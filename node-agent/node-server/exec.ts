/**
 * exec over WebSocket, the `v5.channel.k8s.io` protocol kubectl ≥ 1.30 speaks (v4 too: the same minus the close
 * channel). Every binary message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final Status,
 * 4 terminal resize, 255 close (v5: `[255, 0]` means stdin reached EOF). The session ends with a Status on
 * channel 3 carrying the exit code, then a normal close — which is how kubectl learns `exit code 3`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { errors, type StatusBody } from '../../shared/api/status.ts';
import type { ContainerRuntime, ExecOptions, ExecSession } from '../runtime/container-runtime.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** The protocol to answer with: the first one the client offers that we speak. */
export function chooseExecProtocol(offered: string | undefined): ExecProtocol | undefined {
  for (const p of (offered ?? '').split(',').map((s) => s.trim())) {
    if ((EXEC_PROTOCOLS as readonly string[]).includes(p)) return p as ExecProtocol;
  }
  return undefined;
}

/** The Status written on channel 3 when the command ends (the kubelet's remotecommand wording). */
export function exitStatus(exitCode: number): Partial<StatusBody> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function frame(channel: number, data: Uint8Array | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

function handleClientMessage(session: ExecSession, protocol: ExecProtocol, message: Buffer): void {
  if (message.length === 0) return;
  const channel = message[0];
  const payload = message.subarray(1);
  if (channel === STDIN) {
    if (payload.length) session.write?.(payload);
  } else if (channel === RESIZE) {
    try {
      const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
      if (size.Width && size.Height) session.resize?.({ cols: size.Width, rows: size.Height }).catch(() => undefined);
    } catch {
      // A malformed resize is ignored, as the kubelet does.
    }
  } else if (channel === CLOSE && protocol === 'v5.channel.k8s.io' && payload[0] === STDIN) {
    session.end?.();
  }
}

/** Upgrades the request and runs `options.command` in container `containerId` for the lifetime of the socket. */
export function serveExec(
  wss: WebSocketServer,
  runtime: Pick<ContainerRuntime, 'exec'>,
  containerId: string,
  options: ExecOptions,
  protocol: ExecProtocol,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    void runSession(ws, runtime, containerId, options, protocol);
  });
}

async function runSession(ws: WebSocket, runtime: Pick<ContainerRuntime, 'exec'>, containerId: string, options: ExecOptions, protocol: ExecProtocol): Promise<void> {
  const finish = (status: Partial<StatusBody>): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(ERROR, JSON.stringify(status)));
    ws.close(1000);
  };
  // kubectl may send stdin (and its EOF) right after the handshake: keep what arrives before the process exists.
  const early: Buffer[] = [];
  let session: ExecSession | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    if (session) handleClientMessage(session, protocol, data);
    else early.push(data);
  });
  // The caller went away: the process loses its stdin, as with a closed terminal.
  ws.on('close', () => session?.end?.());
  try {
    session = await runtime.exec(containerId, options);
  } catch (err) {
    finish(errors.internal(`error executing command in container: ${(err as Error).message}`).toStatus());
    return;
  }
  for (const message of early.splice(0)) handleClientMessage(session, protocol, message);
  if (ws.readyState !== ws.OPEN) session.end?.();
  try {
    for await (const chunk of session.output) {
      if (ws.readyState !== ws.OPEN) break;
      const channel = chunk.stream === 'stderr' && !options.tty ? STDERR : STDOUT;
      if ((channel === STDOUT && options.stdout) || (channel === STDERR && options.stderr)) ws.send(frame(channel, chunk.data));
    }
    finish(exitStatus(await session.exitCode));
  } catch (err) {
    finish(errors.internal(`error executing command in container: ${(err as Error).message}`).toStatus());
  }
}

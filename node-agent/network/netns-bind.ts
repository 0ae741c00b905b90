/**
 * Sockets bound inside another network namespace, served by this process. A socket belongs to the namespace it
 * was created in, whatever process holds it later, so a short-lived helper (`ip netns exec NS node
 * netns-bind.ts ADDRESS PORT`) binds a UDP socket and a TCP server there and hands both over the child-process
 * IPC channel (Node passes the file descriptors with SCM_RIGHTS), then exits. The DNS server runs unchanged on
 * them: in production it binds the host's bridge address directly; tests serve the node namespace this way,
 * while the server's forwarding to the upstream resolver still goes out from the agent's own namespace.
 *
 * This file is both the parent's function and the helper's entry point; the helper runs on plain Node (type
 * stripping), so it uses erasable TypeScript only and imports nothing but node: modules.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface BoundSockets {
  udp: dgram.Socket;
  tcp: net.Server;
  address: string;
  port: number;
}

interface HandleMessage {
  kind: 'udp' | 'tcp' | 'error';
  port?: number;
  error?: string;
}

const entry = fileURLToPath(import.meta.url);

/** Binds UDP and TCP on address:port inside `netns` and returns the sockets, served from this process. */
export function bindInNetns(netns: string, address: string, port: number, timeoutMs = 10_000): Promise<BoundSockets> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--no-warnings', entry, address, String(port)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let udp: dgram.Socket | undefined;
    let tcp: net.Server | undefined;
    let bound = 0;
    const timer = setTimeout(() => fail(new Error(`binding ${address}:${port} in ${netns} timed out`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      udp?.close();
      tcp?.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(err);
    }
    child.on('message', (message: HandleMessage, handle: unknown) => {
      if (message.kind === 'error') return fail(new Error(`binding ${address}:${port} in ${netns}: ${message.error}`));
      if (message.kind === 'udp') udp = handle as dgram.Socket;
      if (message.kind === 'tcp') tcp = handle as net.Server;
      bound = message.port ?? bound;
      if (udp && tcp) {
        clearTimeout(timer);
        resolve({ udp, tcp, address, port: bound });
      }
    });
    child.on('error', (err) => fail(err));
    child.on('exit', (code) => {
      if (!(udp && tcp)) fail(new Error(`netns-bind helper exited (${code}) before handing its sockets over: ${stderr.trim()}`));
    });
  });
}

/** Binds UDP and TCP on the same port in this process's namespace (port 0: the one UDP gets). */
export function bindHere(address: string, port: number): Promise<BoundSockets> {
  return new Promise((resolve, reject) => {
    const udp = dgram.createSocket('udp4');
    udp.once('error', reject);
    udp.bind({ address, port, exclusive: true }, () => {
      const udpPort = udp.address().port;
      const tcp = net.createServer();
      tcp.once('error', (err) => (udp.close(), reject(err)));
      tcp.listen({ host: address, port: udpPort, exclusive: true }, () => resolve({ udp, tcp, address, port: udpPort }));
    });
  });
}

async function helperMain(address: string, port: number): Promise<void> {
  const send = (message: HandleMessage, handle?: dgram.Socket | net.Server): Promise<void> =>
    new Promise((res, rej) => process.send!(message, handle as net.Server, {}, (err: Error | null) => (err ? rej(err) : res())));
  try {
    const sockets = await bindHere(address, port);
    await send({ kind: 'udp', port: sockets.port }, sockets.udp);
    await send({ kind: 'tcp', port: sockets.port }, sockets.tcp);
  } catch (err) {
    await send({ kind: 'error', error: err instanceof Error ? err.message : String(err) }).catch(() => {});
  }
  process.disconnect?.();
  process.exit(0);
}

if (process.argv[1] === entry && process.send) void helperMain(process.argv[2] ?? '0.0.0.0', Number(process.argv[3] ?? 0));

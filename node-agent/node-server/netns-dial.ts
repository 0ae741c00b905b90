/**
 * A TCP connection to `127.0.0.1:port` inside a pod's network namespace, as port-forward needs (the target may
 * listen on the pod's loopback only, and the pod's IP need not be reachable from here).
 *
 * How: `nsenter -t <pid of the pod's sandbox> -n` running a tiny relay in Node (this very binary, so nothing else
 * must be installed on the node — the dockershim did the same with socat). The relay connects, says `connected`
 * on stderr, then copies stdin → socket and socket → stdout with half-closes. Node cannot enter a namespace itself
 * (no setns), and `docker exec` of a relay would need a tool inside the pod's image, which the pause sandbox lacks.
 * One short-lived process per forwarded connection (~0.1 s to start) is fine for port-forward's interactive use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';

const RELAY = `
const net = require('node:net');
const socket = net.connect(Number(process.argv[1]), '127.0.0.1');
socket.on('connect', () => {
  process.stderr.write('connected\\n');
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('error', (err) => { process.stderr.write(err.message + '\\n'); process.exit(1); });
socket.on('close', () => process.stdout.end(() => process.exit(0)));
`;

export interface PodConnection {
  stream: Duplex;
  /** Kills the relay (the forwarded connection is gone). */
  close(): void;
}

export type PodDialer = (pid: number, port: number) => Promise<PodConnection>;

/** Connects through a relay inside the network namespace of process `pid`; rejects with the relay's error text. */
export const dialInNetns: PodDialer = (pid, port) =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('nsenter', ['-t', String(pid), '-n', '--', process.execPath, '-e', RELAY, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let settled = false;
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
      if (!settled && stderr.startsWith('connected\n')) {
        settled = true;
        const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
        // A relay that dies mid-stream must not take the server down with an unhandled EPIPE.
        stream.on('error', () => undefined);
        resolve({ stream, close: () => child.kill('SIGKILL') });
      }
    };
    child.stderr!.on('data', onStderr);
    child.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        const message = stderr.trim() || `relay exited with code ${code}`;
        reject(new Error(message));
      }
    });
  });

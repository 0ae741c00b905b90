/**
 * Runs one probe against a running container (the kubelet's prober): exec through the runtime, httpGet and
 * tcpSocket against the pod IP from the agent's network namespace, each bounded by timeoutSeconds. A probe that
 * times out or cannot connect fails; it never throws.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, Probe } from '../shared/api/kinds/pod-spec.ts';
import { probeSettings } from './pod/probes.ts';
import type { ContainerRuntime } from './runtime/container-runtime.ts';

export interface ProbeTarget {
  containerId: string;
  podIP: string;
  container: Container;
}

/** A port given by name resolves through the container's ports. */
export function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function execProbe(runtime: ContainerRuntime, id: string, command: string[], timeoutMs: number): Promise<boolean> {
  const run = async (): Promise<boolean> => {
    const session = await runtime.exec(id, { command, stdin: false, stdout: true, stderr: true, tty: false });
    const drain = (async () => {
      for await (const _chunk of session.output) {
        // Output is discarded; the kubelet only keeps it for event messages.
      }
    })();
    const code = await session.exitCode;
    await drain.catch(() => undefined);
    return code === 0;
  };
  return withTimeout(run().catch(() => false), timeoutMs, false);
}

function httpProbe(probe: NonNullable<Probe['httpGet']>, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const port = resolvePort(probe.port, target.container);
  if (port === undefined) return Promise.resolve(false);
  const https = (probe.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.35', accept: '*/*' };
  for (const h of ((probe as { httpHeaders?: Array<{ name: string; value: string }> }).httpHeaders ?? [])) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      { host: probe.host || target.podIP, port, path: probe.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpProbe(host: string, port: number | undefined, timeoutMs: number): Promise<boolean> {
  if (port === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export async function runProbe(runtime: ContainerRuntime, probe: Probe, target: ProbeTarget): Promise<boolean> {
  const { timeoutMs } = probeSettings(probe);
  if (probe.exec?.command?.length) return execProbe(runtime, target.containerId, probe.exec.command, timeoutMs);
  if (probe.httpGet) return httpProbe(probe.httpGet, target, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket.host || target.podIP, resolvePort(probe.tcpSocket.port, target.container), timeoutMs);
  // gRPC health checking needs a client of its own; a TCP connect is the closest check without one.
  if (probe.grpc) return tcpProbe(target.podIP, probe.grpc.port, timeoutMs);
  return true;
}

/**
 * The agent's resource readings (what cAdvisor does for the kubelet): every `intervalMs` it reads the stats of each
 * running app container through the ContainerRuntime and the host's /proc, keeps the last two readings, and
 * answers the node's usage as rates over that window. Sampling in the background keeps `kubectl top` and the HPA
 * fast (one scrape answers from memory) and costs no API requests.
 */
import { readFile } from 'node:fs/promises';
import type { NodeUsage, PodUsage } from '../../functions/metrics/metrics-source.ts';
import type { ContainerRuntime } from '../runtime/container-runtime.ts';
import { LABEL, MANAGED_SELECTOR } from '../pod/known-state.ts';
import { cpuNanocores, hostCpuBusyNanoseconds, hostMemoryInUseBytes, type CumulativeReading } from './usage-rates.ts';

export const DEFAULT_SAMPLE_INTERVAL_MS = 10_000;

interface Tracked {
  namespace: string;
  pod: string;
  container: string;
  previous?: CumulativeReading;
  current: CumulativeReading;
}

export interface UsageSamplerOptions {
  runtime: ContainerRuntime;
  intervalMs?: number;
  /** Reads /proc/stat and /proc/meminfo; tests pass their own text. */
  readHost?: () => Promise<{ stat: string; meminfo: string }>;
  now?: () => number;
}

export interface UsageSampler {
  /** One round of readings now (also what the timer runs). */
  sample(): Promise<void>;
  /** The node's usage over the last window; undefined until two rounds have run. */
  usage(): NodeUsage | undefined;
  stop(): void;
}

async function readProc(): Promise<{ stat: string; meminfo: string }> {
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  return { stat, meminfo };
}

export function startUsageSampler(options: UsageSamplerOptions): UsageSampler {
  const now = options.now ?? Date.now;
  const readHost = options.readHost ?? readProc;
  let containers = new Map<string, Tracked>();
  let host: { previous?: CumulativeReading; current?: CumulativeReading } = {};
  let running: Promise<void> | undefined;

  async function round(): Promise<void> {
    const listed = await options.runtime.list(MANAGED_SELECTOR);
    const next = new Map<string, Tracked>();
    await Promise.all(
      listed
        .filter((c) => c.state === 'running' && c.labels[LABEL.role] !== 'sandbox')
        .map(async (c) => {
          const stats = await options.runtime.stats(c.id).catch(() => undefined);
          if (!stats) return;
          const reading: CumulativeReading = stats;
          next.set(c.id, {
            namespace: c.labels[LABEL.podNamespace] ?? '',
            pod: c.labels[LABEL.podName] ?? '',
            container: c.labels[LABEL.container] ?? c.name,
            previous: containers.get(c.id)?.current,
            current: reading,
          });
        }),
    );
    containers = next;
    const { stat, meminfo } = await readHost();
    const busy = hostCpuBusyNanoseconds(stat);
    const memory = hostMemoryInUseBytes(meminfo);
    if (busy !== undefined && memory !== undefined) {
      host = { previous: host.current, current: { timestamp: now(), cpuUsageNanoseconds: busy, memoryWorkingSetBytes: memory } };
    }
  }

  function sample(): Promise<void> {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => void sample().catch(() => undefined), options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
  timer.unref();

  return {
    sample,
    stop: () => clearInterval(timer),
    usage() {
      if (!host.previous || !host.current) return undefined;
      const nodeCpu = cpuNanocores(host.previous, host.current);
      if (nodeCpu === undefined) return undefined;
      const pods = new Map<string, PodUsage>();
      for (const t of containers.values()) {
        if (!t.previous) continue;
        const cpu = cpuNanocores(t.previous, t.current);
        if (cpu === undefined) continue;
        const key = `${t.namespace}/${t.pod}`;
        const pod = pods.get(key) ?? { namespace: t.namespace, name: t.pod, containers: [] };
        pod.containers.push({ name: t.container, cpuNanocores: cpu, memoryBytes: t.current.memoryWorkingSetBytes });
        pods.set(key, pod);
      }
      return {
        timestamp: host.current.timestamp,
        windowSeconds: Math.max(1, Math.round((host.current.timestamp - host.previous.timestamp) / 1000)),
        cpuNanocores: nodeCpu,
        memoryBytes: host.current.memoryWorkingSetBytes,
        pods: [...pods.values()],
      };
    },
  };
}

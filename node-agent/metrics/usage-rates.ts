/**
 * Rates from cumulative readings, as the kubelet's resource metrics compute them: CPU nanocores = Δ(CPU time in
 * ns) / Δ(wall time in s); memory is the latest working set. Pure.
 */
export interface CumulativeReading {
  /** Epoch ms. */
  timestamp: number;
  cpuUsageNanoseconds: number;
  memoryWorkingSetBytes: number;
}

/** nanocores between two readings; undefined when they cannot give a rate (same instant, counter reset). */
export function cpuNanocores(previous: CumulativeReading, current: CumulativeReading): number | undefined {
  const elapsedMs = current.timestamp - previous.timestamp;
  const used = current.cpuUsageNanoseconds - previous.cpuUsageNanoseconds;
  if (elapsedMs <= 0 || used < 0) return undefined;
  return Math.round((used / elapsedMs) * 1000);
}

/** /proc/stat's first line → total busy time in ns (user+nice+system+irq+softirq+steal; USER_HZ = 100). */
export function hostCpuBusyNanoseconds(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const jiffies = user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return Number.isFinite(jiffies) ? jiffies * 10_000_000 : undefined;
}

/** /proc/meminfo → bytes in use (MemTotal − MemAvailable), the node's working set as `kubectl top node` shows. */
export function hostMemoryInUseBytes(meminfo: string): number | undefined {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total !== undefined && available !== undefined ? total - available : undefined;
}

import { describe, expect, it } from 'vitest';
import { cpuNanocores, hostCpuBusyNanoseconds, hostMemoryInUseBytes } from '../../../node-agent/metrics/usage-rates.ts';

const reading = (timestamp: number, cpu: number, mem = 0) => ({ timestamp, cpuUsageNanoseconds: cpu, memoryWorkingSetBytes: mem });

describe('cpuNanocores', () => {
  it.each([
    ['a quarter core for 10 s', reading(0, 0), reading(10_000, 2.5e9), 250_000_000],
    ['two full cores for 1 s', reading(5_000, 1e9), reading(6_000, 3e9), 2_000_000_000],
    ['idle', reading(0, 7e9), reading(15_000, 7e9), 0],
  ])('%s', (_name, a, b, expected) => {
    expect(cpuNanocores(a, b)).toBe(expected);
  });

  it.each([
    ['no time passed', reading(1000, 0), reading(1000, 1e9)],
    ['time went backwards', reading(2000, 0), reading(1000, 1e9)],
    ['the counter was reset (container restarted)', reading(0, 5e9), reading(1000, 1e8)],
  ])('gives no rate when %s', (_name, a, b) => {
    expect(cpuNanocores(a, b)).toBeUndefined();
  });
});

describe('host readings from /proc', () => {
  it('counts busy jiffies (user, nice, system, irq, softirq, steal) at 100 Hz, not idle or iowait', () => {
    const stat = 'cpu  100 20 30 5000 40 5 6 7 0 0\ncpu0 50 10 15 2500 20 2 3 3 0 0\n';
    expect(hostCpuBusyNanoseconds(stat)).toBe((100 + 20 + 30 + 5 + 6 + 7) * 10_000_000);
    expect(hostCpuBusyNanoseconds('intr 1 2 3')).toBeUndefined();
  });

  it('reads memory in use as MemTotal − MemAvailable', () => {
    const meminfo = 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    12000000 kB\n';
    expect(hostMemoryInUseBytes(meminfo)).toBe(4_000_000 * 1024);
    expect(hostMemoryInUseBytes('MemTotal: 1 kB\n')).toBeUndefined();
  });
});

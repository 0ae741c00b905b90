import { describe, expect, it } from 'vitest';
import { probeSettings, recordProbeResult } from '../../../node-agent/pod/probes.ts';
import type { ProbeKind, ProbeState } from '../../../node-agent/pod/pod-state.ts';

function run(kind: ProbeKind, outcomes: boolean[], thresholds: { successThreshold?: number; failureThreshold?: number } = {}): Array<ProbeState['result']> {
  const probe = { exec: { command: ['x'] }, ...thresholds };
  let state: ProbeState | undefined;
  return outcomes.map((ok, i) => (state = recordProbeResult(state, kind, probe, ok, i)).result);
}

describe('probe thresholds', () => {
  it.each<[ProbeKind, boolean[], { successThreshold?: number; failureThreshold?: number }, Array<ProbeState['result']>]>([
    ['liveness', [false, false, false], {}, ['success', 'success', 'failure']],
    ['liveness', [false, false, true, false, false], {}, ['success', 'success', 'success', 'success', 'success']],
    ['liveness', [false], { failureThreshold: 1 }, ['failure']],
    ['readiness', [true], {}, ['success']],
    ['readiness', [false, true, true], { successThreshold: 2 }, ['failure', 'failure', 'success']],
    ['readiness', [true, false, false, false], {}, ['success', 'success', 'success', 'failure']],
    ['startup', [false, false], {}, ['unknown', 'unknown']],
    ['startup', [false, true], {}, ['unknown', 'success']],
  ])('%s with outcomes %j and %j gives %j', (kind, outcomes, thresholds, results) => {
    expect(run(kind, outcomes, thresholds)).toEqual(results);
  });

  it('defaults like Kubernetes: period 10 s, timeout 1 s, success 1, failure 3, no delay', () => {
    expect(probeSettings({})).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
  });
});

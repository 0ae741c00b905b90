import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { endpointChainName, serviceChainName } from '../../../node-agent/network/chain-names.ts';
import { chainsInSave, formatProbability, renderRules, type NodeNetwork } from '../../../node-agent/network/rules.ts';
import { endpointSlice, service } from '../support/objects.ts';

const node: NodeNetwork = { name: 'node-1', podCIDR: '10.244.1.0/24', clusterCIDR: '10.244.0.0/16' };
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}.rules`, import.meta.url));

/** Compares with the golden file; `UPDATE_GOLDEN=1` rewrites it (review the diff before keeping it). */
function expectGolden(name: string, text: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(fixture(name), text);
  expect(text).toBe(readFileSync(fixture(name), 'utf8'));
}

const web = service('default', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] });
const webSlice = endpointSlice('default', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.11', ready: true }, { ip: '10.244.1.12', ready: true }, { ip: '10.244.1.13', ready: true }]);

describe('renderRules', () => {
  it('renders one ClusterIP service spread over its 3 ready endpoints', () => {
    expectGolden('clusterip-3-endpoints', renderRules([web], [webSlice], node));
  });

  it('renders a NodePort service on local addresses, 127.0.0.1 included', () => {
    const svc = service('default', 'web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }] });
    expectGolden('nodeport', renderRules([svc], [webSlice], node));
  });

  it('renders NodePorts only on the given node addresses and 127.0.0.1 when they are named', () => {
    const svc = service('default', 'web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }] });
    const text = renderRules([svc], [webSlice], { ...node, nodePortAddresses: ['192.168.1.5'] });
    const jumps = text.split('\n').filter((l) => l.endsWith('-j ZP-NODEPORTS'));
    expect(jumps).toEqual([
      '-A ZP-SERVICES -d 192.168.1.5/32 -m comment --comment "zeroplane service nodeports; NOTE: this must be the last rule in this chain" -j ZP-NODEPORTS',
      '-A ZP-SERVICES -d 127.0.0.1/32 -m comment --comment "zeroplane service nodeports; NOTE: this must be the last rule in this chain" -j ZP-NODEPORTS',
    ]);
  });

  it('rejects traffic to services without endpoints in the filter table', () => {
    const cluster = service('default', 'lonely', { type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'TCP' }] });
    const nodePort = service('default', 'lonely-np', { type: 'NodePort', clusterIP: '10.96.0.21', ports: [{ port: 80, protocol: 'TCP', nodePort: 30081 }] });
    const notReady = endpointSlice('default', 'lonely', [{ port: 80 }], [{ ip: '10.244.1.30', ready: false }]);
    expectGolden('no-endpoints', renderRules([cluster, nodePort], [notReady], node));
  });

  it('gives headless services no virtual IP rules', () => {
    const headless = service('default', 'db', { type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 5432, protocol: 'TCP' }] });
    const slice = endpointSlice('default', 'db', [{ port: 5432 }], [{ ip: '10.244.1.40', ready: true, hostname: 'db-0' }]);
    const text = renderRules([headless], [slice], node);
    expectGolden('headless', text);
    expect(text).not.toContain('ZP-SVC-');
    expect(text).toBe(renderRules([], [], node));
  });

  it('renders one service chain per port and protocol of a multi-port service', () => {
    const dns = service('kube-system', 'dns', {
      type: 'ClusterIP',
      clusterIP: '10.96.0.53',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    });
    const slice = endpointSlice(
      'kube-system',
      'dns',
      [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }],
      [{ ip: '10.244.1.50', ready: true }, { ip: '10.244.1.51', ready: true }],
    );
    expectGolden('multiple-ports', renderRules([dns], [slice], node));
  });

  it('flushes and deletes the chains of a removed service', () => {
    const before = renderRules([web], [webSlice], node);
    const existing = { filter: chainsInSave(before, 'filter'), nat: chainsInSave(before, 'nat') };
    const after = renderRules([], [], node, { existingChains: existing });
    expectGolden('removed-service', after);
    for (const chain of existing.nat.filter((c) => c.startsWith('ZP-SVC-') || c.startsWith('ZP-SEP-'))) {
      expect(after).toContain(`:${chain} - [0:0]`);
      expect(after).toContain(`-X ${chain}`);
    }
    expect(after).not.toContain('-X ZP-SERVICES');
  });

  it('is byte-for-byte stable whatever the order of its inputs', () => {
    const other = service('apps', 'api', { type: 'ClusterIP', clusterIP: '10.96.0.30', ports: [{ port: 443, protocol: 'TCP' }] });
    const otherSlice = endpointSlice('apps', 'api', [{ port: 8443 }], [{ ip: '10.244.1.70' }, { ip: '10.244.1.60' }]);
    const reversedSlice = endpointSlice('default', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.13' }, { ip: '10.244.1.11' }, { ip: '10.244.1.12' }]);
    expect(renderRules([web, other], [webSlice, otherSlice], node)).toBe(renderRules([other, web], [otherSlice, reversedSlice], node));
  });

  it('leaves out endpoints that are not ready, and falls back to serving terminating ones when none is ready', () => {
    const mixed = endpointSlice('default', 'web', [{ name: 'http', port: 8080 }], [
      { ip: '10.244.1.11', ready: true },
      { ip: '10.244.1.12', ready: false },
      { ip: '10.244.1.13', ready: false, serving: true, terminating: true },
    ]);
    const text = renderRules([web], [mixed], node);
    expect(text).toContain('--to-destination 10.244.1.11:8080');
    expect(text).not.toContain('10.244.1.12:8080');
    expect(text).not.toContain('10.244.1.13:8080');
    const draining = endpointSlice('default', 'web', [{ name: 'http', port: 8080 }], [
      { ip: '10.244.1.12', ready: false },
      { ip: '10.244.1.13', ready: false, serving: true, terminating: true },
    ]);
    const drained = renderRules([web], [draining], node);
    expect(drained).toContain('--to-destination 10.244.1.13:8080');
    expect(drained).not.toContain('REJECT');
  });

  it('adds the built-in chain jumps only when asked (a full restore of a fresh namespace)', () => {
    expect(renderRules([web], [webSlice], node)).not.toMatch(/^-A (PREROUTING|OUTPUT|POSTROUTING|INPUT|FORWARD) /m);
    const full = renderRules([web], [webSlice], node, { includeJumps: true });
    expect(full).toContain('-A PREROUTING -m comment --comment "zeroplane service portals" -j ZP-SERVICES');
    expect(full).toContain('-A OUTPUT -m comment --comment "zeroplane service portals" -j ZP-SERVICES');
    expect(full).toContain('-A POSTROUTING -m comment --comment "zeroplane postrouting rules" -j ZP-POSTROUTING');
  });
});

describe('formatProbability', () => {
  it.each([
    [1 / 2, '0.50000000000'],
    [1 / 3, '0.33333333349'],
    [1 / 4, '0.25000000000'],
    [1 / 5, '0.20000000019'],
    [1 / 7, '0.14285714272'],
    [1 / 10, '0.10000000009'],
  ])('prints %d as iptables-save does: %s', (p, text) => {
    expect(formatProbability(p)).toBe(text);
  });
});

describe('chain names', () => {
  // Vectors from kube-proxy's proxier_test.go (KUBE- prefix there).
  it('hash a service port like kube-proxy', () => {
    expect(serviceChainName('ns1/svc1:p80', 'TCP')).toBe('ZP-SVC-XPGD46QRK7WJZT7O');
  });

  it('hash an endpoint like kube-proxy', () => {
    expect(endpointChainName('ns1/svc1:p80', 'TCP', '10.180.0.1:80')).toBe('ZP-SEP-SXIVWICOYRO3J4NJ');
  });

  it('fit the 28-character iptables limit', () => {
    expect(serviceChainName('a-very-long-namespace-name/a-very-long-service-name:https', 'SCTP').length).toBeLessThanOrEqual(28);
  });
});

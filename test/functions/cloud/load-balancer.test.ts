import { describe, expect, it } from 'vitest';
import {
  decideLoadBalancer,
  loadBalancerPorts,
  loadBalancerTargets,
  statusWithIngress,
  withFinalizer,
  withoutFinalizer,
  type LoadBalancerDecision,
} from '../../../functions/cloud/load-balancer.ts';
import type { LoadBalancerSpec } from '../../../functions/cloud/load-balancer-provider.ts';
import { cloudNode, lbService, type LbServiceOptions } from './builders.ts';

const nodes = [
  cloudNode({ name: 'b', instanceId: 'i-0000000000000000b', zone: 'eu-west-1b' }),
  cloudNode({ name: 'a', instanceId: 'i-0000000000000000a' }),
  cloudNode({ name: 'down', instanceId: 'i-000000000000000dd', ready: 'Unknown' }),
];
const TARGETS = [
  { nodeName: 'a', instanceId: 'i-0000000000000000a', zone: 'eu-west-1a' },
  { nodeName: 'b', instanceId: 'i-0000000000000000b', zone: 'eu-west-1b' },
];
const SERVICE = { namespace: 'default', name: 'web', uid: 'uid-web' };
const ENSURE: LoadBalancerSpec = { service: SERVICE, scheme: 'internet-facing', ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targetPort: 8080 }], targets: TARGETS };

type Shape = Omit<LoadBalancerDecision, 'events'> & { reasons: string[] };
const shape = (d: LoadBalancerDecision): Shape => {
  const { events, ...rest } = d;
  return { ...rest, reasons: events.map((e) => e.reason) };
};

describe('decideLoadBalancer', () => {
  it.each<[string, LbServiceOptions | undefined, Shape]>([
    ['a Service that is gone needs nothing', undefined, { reasons: [] }],
    ['a new LoadBalancer Service gets the finalizer first, then its load balancer', {}, { addFinalizer: true, ensure: ENSURE, reasons: [] }],
    ['a LoadBalancer Service with the finalizer is kept in step', { finalizer: true }, { ensure: ENSURE, reasons: [] }],
    ['the internal scheme annotation makes an internal load balancer', { finalizer: true, scheme: 'internal' }, { ensure: { ...ENSURE, scheme: 'internal' as const }, reasons: [] }],
    ['a deleted Service with the finalizer has its load balancer deleted, then the finalizer dropped', { finalizer: true, deleting: true, ingress: [{ hostname: 'x' }] }, { delete: SERVICE, removeFinalizer: true, reasons: ['DeletingLoadBalancer'] }],
    ['a deleted Service without the finalizer is none of ours', { deleting: true }, { reasons: [] }],
    ['a Service changed to ClusterIP is cleaned up: load balancer, status, finalizer', { type: 'ClusterIP', finalizer: true, ingress: [{ hostname: 'x' }] }, { delete: SERVICE, clearStatus: true, removeFinalizer: true, reasons: ['DeletingLoadBalancer'] }],
    ['a changed Service whose finalizer was removed by hand still has its status cleared', { type: 'NodePort', ingress: [{ hostname: 'x' }] }, { delete: SERVICE, clearStatus: true, reasons: ['DeletingLoadBalancer'] }],
    ['a ClusterIP Service that never was ours needs nothing', { type: 'ClusterIP' }, { reasons: [] }],
    ['a Service of another loadBalancerClass is left to that implementation', { loadBalancerClass: 'example.com/lb' }, { reasons: [] }],
    [
      'ports without a nodePort or of SCTP are reported and skipped',
      { finalizer: true, ports: [{ name: 'a', protocol: 'SCTP', port: 1, nodePort: 30001 }, { name: 'b', protocol: 'TCP', port: 2 }, { name: 'c', protocol: 'UDP', port: 53, nodePort: 30053, targetPort: 53 }] },
      { ensure: { ...ENSURE, ports: [{ name: 'c', protocol: 'UDP' as const, port: 53, nodePort: 30053, targetPort: 53 }] }, reasons: ['UnsupportedLoadBalancerPort', 'UnsupportedLoadBalancerPort'] },
    ],
    [
      'with no port left to balance, an existing load balancer is removed',
      { finalizer: true, ports: [{ name: 'b', protocol: 'TCP', port: 2 }], ingress: [{ hostname: 'x' }] },
      { delete: SERVICE, clearStatus: true, removeFinalizer: true, reasons: ['UnsupportedLoadBalancerPort', 'DeletingLoadBalancer'] },
    ],
  ])('%s', (_, options, want) => {
    expect(shape(decideLoadBalancer({ service: options && lbService(options), nodes }))).toEqual(want);
  });
});

describe('loadBalancerTargets', () => {
  it.each([
    ['only Ready nodes with an instance, sorted by instance id', nodes, TARGETS],
    ['a node without providerID is skipped', [cloudNode({ name: 'local' })], []],
    ['a node with a foreign providerID is skipped', [{ ...cloudNode({ name: 'gce' }), spec: { providerID: 'gce://p/z/n' } }], []],
    ['an excluded node is skipped', [cloudNode({ name: 'x', instanceId: 'i-0000000000000000a', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } })], []],
    ['a node being deleted is skipped', [cloudNode({ name: 'x', instanceId: 'i-0000000000000000a', deleting: true })], []],
  ])('%s', (_, input, want) => {
    expect(loadBalancerTargets(input)).toEqual(want);
  });
});

describe('loadBalancerPorts', () => {
  it('sorts ports by number and names an unnamed port ""', () => {
    const svc = lbService({ ports: [{ protocol: 'TCP', port: 443, nodePort: 30443 }, { port: 80, nodePort: 30080, targetPort: 'http' }] });
    expect(loadBalancerPorts(svc)).toEqual({
      ports: [
        { name: '', protocol: 'TCP', port: 80, nodePort: 30080, targetPort: 'http' },
        { name: '', protocol: 'TCP', port: 443, nodePort: 30443, targetPort: 443 },
      ],
      skipped: [],
    });
  });
});

describe('statusWithIngress', () => {
  it.each([
    ['new ingress is written', undefined, [{ hostname: 'a.elb' }], { loadBalancer: { ingress: [{ hostname: 'a.elb' }] } }],
    ['the same ingress writes nothing', [{ hostname: 'a.elb' }], [{ hostname: 'a.elb' }], undefined],
    ['a changed hostname is written', [{ hostname: 'a.elb' }], [{ hostname: 'b.elb' }], { loadBalancer: { ingress: [{ hostname: 'b.elb' }] } }],
    ['no ingress empties the status', [{ hostname: 'a.elb' }], [], { loadBalancer: {} }],
  ])('%s', (_, current, ingress, want) => {
    expect(statusWithIngress(lbService({ ingress: current }), ingress)).toEqual(want);
  });
});

describe('finalizer helpers', () => {
  it('adds the cleanup finalizer once and removes only it', () => {
    const svc = lbService();
    const withOther = { ...svc, metadata: { ...svc.metadata, finalizers: ['example.com/keep'] } };
    const added = withFinalizer(withFinalizer(withOther));
    expect(added.metadata.finalizers).toEqual(['example.com/keep', 'service.kubernetes.io/load-balancer-cleanup']);
    expect(withoutFinalizer(added).metadata.finalizers).toEqual(['example.com/keep']);
    expect(withoutFinalizer(withFinalizer(svc)).metadata).not.toHaveProperty('finalizers');
  });
});

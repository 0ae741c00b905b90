import { describe, expect, it } from 'vitest';
import { MANAGED_BY, MANAGED_BY_LABEL, reconcileEndpoints, SERVICE_NAME_LABEL } from '../../../functions/controllers/endpoints.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { Service } from '../../../shared/api/kinds/service.ts';
import { pod } from './builders.ts';

const svc: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-svc' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
};

function withIp(p: Pod, ip: string): Pod {
  p.status = { ...p.status, podIP: ip };
  p.spec.containers[0].ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  return p;
}

describe('reconcileEndpoints', () => {
  const pods = [
    withIp(pod({ name: 'a', nodeName: 'n1', ready: true }), '10.0.0.2'),
    withIp(pod({ name: 'b', nodeName: 'n1', ready: false }), '10.0.0.1'),
    withIp(pod({ name: 'c', nodeName: 'n1', ready: true, labels: { app: 'other' } }), '10.0.0.3'),
    pod({ name: 'noip', ready: true }),
  ];

  it('lists ready pods as addresses and not-ready ones as notReadyAddresses, with named target ports resolved', () => {
    const r = reconcileEndpoints({ service: svc, pods, endpoints: undefined, slices: [] });
    const ep = r.actions.find((a) => a.type === 'create' && a.object.kind === 'Endpoints');
    expect(ep).toMatchObject({
      object: {
        metadata: { name: 'web', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '10.0.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'a' } }], notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
      },
    });
  });

  it('creates an EndpointSlice owned by the Service with ready conditions', () => {
    const r = reconcileEndpoints({ service: svc, pods, endpoints: undefined, slices: [] });
    const slice = r.actions.find((a) => a.type === 'create' && a.object.kind === 'EndpointSlice');
    expect(slice).toMatchObject({
      object: {
        metadata: { generateName: 'web-', labels: { [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: MANAGED_BY }, ownerReferences: [{ kind: 'Service', uid: 'uid-svc', controller: true }] },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.0.0.1'], conditions: { ready: false, serving: false, terminating: false } },
          { addresses: ['10.0.0.2'], conditions: { ready: true, serving: true, terminating: false } },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    });
  });

  it('changes nothing when the objects already match', () => {
    const first = reconcileEndpoints({ service: svc, pods, endpoints: undefined, slices: [] });
    const objects = first.actions.map((a) => (a.type === 'create' ? { ...a.object, metadata: { ...a.object.metadata, name: a.object.metadata.name ?? 'web-abc' } } : undefined));
    const r = reconcileEndpoints({ service: svc, pods, endpoints: objects[0] as never, slices: [objects[1] as never] });
    expect(r.actions).toEqual([]);
  });

  it('leaves selectorless Services alone', () => {
    expect(reconcileEndpoints({ service: { ...svc, spec: { ports: svc.spec!.ports } }, pods, endpoints: undefined, slices: [] }).actions).toEqual([]);
  });
});

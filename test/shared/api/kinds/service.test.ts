import { describe, expect, it } from 'vitest';
import { services } from '../../../../shared/api/kinds/service.ts';
import type { KubeObject } from '../../../../shared/api/object.ts';

function service(portName: string): KubeObject {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'ClusterIP', ports: [{ name: portName, port: 80, targetPort: 8080, protocol: 'TCP' }], selector: { app: 'web' } },
  } as KubeObject;
  services.strategy.applyDefaults(svc);
  return svc;
}

describe('Service port names', () => {
  it.each(['80-8080', 'http', 'a', 'web-8080'])('accepts %s as a DNS-1123 label (kubectl create service names ports 80-8080)', (name) => {
    expect(services.strategy.validate(service(name)).filter((e) => e.field === 'spec.ports[0].name')).toEqual([]);
  });

  it.each(['Http', 'http_1', '-http', 'a'.repeat(64)])('refuses %s', (name) => {
    expect(services.strategy.validate(service(name)).map((e) => e.field)).toContain('spec.ports[0].name');
  });
});

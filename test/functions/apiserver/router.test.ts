import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../functions/apiserver/router.ts';

describe('parseRoute', () => {
  it.each([
    ['GET', '/api/v1/namespaces/ns/pods', {}, { verb: 'list', group: '', version: 'v1', resource: 'pods', namespace: 'ns' }],
    ['GET', '/api/v1/pods', {}, { verb: 'list', resource: 'pods', namespace: undefined }],
    ['GET', '/api/v1/namespaces/ns/pods', { watch: 'true' }, { verb: 'watch', resource: 'pods', namespace: 'ns' }],
    ['GET', '/api/v1/namespaces/ns/pods', { watch: '1' }, { verb: 'watch' }],
    ['GET', '/api/v1/watch/namespaces/ns/pods', {}, { verb: 'watch', resource: 'pods', namespace: 'ns' }],
    ['GET', '/api/v1/namespaces/ns/pods/web', {}, { verb: 'get', name: 'web' }],
    ['GET', '/api/v1/namespaces/ns/pods/web/log', {}, { verb: 'get', name: 'web', subresource: 'log' }],
    ['POST', '/api/v1/namespaces/ns/pods', {}, { verb: 'create', resource: 'pods' }],
    ['POST', '/api/v1/namespaces/ns/pods/web/binding', {}, { verb: 'create', name: 'web', subresource: 'binding' }],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale', {}, { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale' }],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d', {}, { verb: 'patch', group: 'apps', name: 'd' }],
    ['DELETE', '/api/v1/namespaces/ns/pods/web', {}, { verb: 'delete', name: 'web' }],
    ['DELETE', '/api/v1/namespaces/ns/pods', {}, { verb: 'deletecollection' }],
    ['GET', '/api/v1/namespaces', {}, { verb: 'list', resource: 'namespaces', namespace: undefined }],
    ['GET', '/api/v1/namespaces/ns', {}, { verb: 'get', resource: 'namespaces', name: 'ns', namespace: undefined }],
    ['PUT', '/api/v1/namespaces/ns/status', {}, { verb: 'update', resource: 'namespaces', name: 'ns', subresource: 'status' }],
    ['PUT', '/api/v1/namespaces/ns/finalize', {}, { verb: 'update', resource: 'namespaces', name: 'ns', subresource: 'finalize' }],
    ['GET', '/api/v1/nodes/n1', {}, { verb: 'get', resource: 'nodes', name: 'n1', namespace: undefined }],
    ['GET', '/apis/apps/v1/deployments', {}, { verb: 'list', group: 'apps', resource: 'deployments' }],
  ] as const)('%s %s %j', (method, path, query, expected) => {
    const route = parseRoute(method, path, { ...query });
    expect(route.kind).toBe('resource');
    expect(route).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    if ('namespace' in expected && expected.namespace === undefined) expect(route).not.toHaveProperty('namespace');
  });

  it.each(['/version', '/api', '/apis', '/api/v1', '/apis/apps', '/apis/apps/v1', '/openapi/v3', '/healthz', '/readyz'])(
    'sees %s as a non-resource path',
    (path) => {
      expect(parseRoute('GET', path, {})).toEqual({ kind: 'nonResource', path });
    },
  );

  it.each([
    ['PUT', '/api/v1/namespaces/ns/pods', 'method'],
    ['PATCH', '/api/v1/pods', 'method'],
    ['POST', '/api/v1/namespaces/ns/pods/web', 'method'],
    ['OPTIONS', '/api/v1/pods', 'method'],
    ['GET', '/api/v1/namespaces/ns/pods/web/log/extra', 'path'],
  ])('refuses %s %s (%s)', (method, path, reason) => {
    expect(parseRoute(method, path, {})).toEqual({ kind: 'unsupported', reason });
  });
});

import { describe, expect, it } from 'vitest';
import type { ResourceAttributes } from '../../../../functions/apiserver/authz/attributes.ts';
import { authorizeNode, type NodeGraph, type NodeRequest } from '../../../../functions/apiserver/authz/node-authorizer.ts';
import type { Pod } from '../../../../shared/api/kinds/pod.ts';

function pod(namespace: string, name: string, nodeName: string, spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }], ...spec } } as Pod;
}

/** An in-memory NodeGraph. */
class FakeGraph implements NodeGraph {
  constructor(private readonly pods: Pod[]) {}
  async getPod(namespace: string, name: string) {
    return this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
  }
  async podsOnNode(node: string, namespace: string) {
    return this.pods.filter((p) => p.metadata.namespace === namespace && (p as { spec?: { nodeName?: string } }).spec?.nodeName === node);
  }
}

const graph = new FakeGraph([
  pod('ns', 'mine', 'n1', {
    volumes: [{ name: 'v', secret: { secretName: 'vol-secret' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'proj-cm' } }] } }],
    containers: [{ name: 'c', image: 'i', env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'envfrom-cm' } }] }],
  }),
  pod('ns', 'theirs', 'n2', { volumes: [{ name: 'v', secret: { secretName: 'their-secret' } }] }),
]);

const a = (verb: string, resource: string, o: Partial<ResourceAttributes> = {}): ResourceAttributes => ({
  kind: 'resource',
  verb,
  apiGroup: '',
  resource,
  subresource: '',
  namespace: '',
  name: '',
  ...o,
});

describe('authorizeNode', () => {
  it.each<[string, ResourceAttributes, NodeRequest, boolean]>([
    ['gets its own Node', a('get', 'nodes', { name: 'n1' }), {}, true],
    ['updates its own Node status', a('patch', 'nodes', { name: 'n1', subresource: 'status' }), {}, true],
    ['creates its own Node', a('create', 'nodes'), { bodyName: 'n1' }, true],
    ['cannot create another Node', a('create', 'nodes'), { bodyName: 'n2' }, false],
    ['reads another Node', a('get', 'nodes', { name: 'n2' }), {}, true],
    ['cannot update another Node', a('update', 'nodes', { name: 'n2' }), {}, false],
    ['cannot delete another Node', a('delete', 'nodes', { name: 'n2' }), {}, false],
    ['cannot update another Node status', a('update', 'nodes', { name: 'n2', subresource: 'status' }), {}, false],
    ['watches its own Node by name', a('watch', 'nodes'), { fieldSelector: 'metadata.name=n1' }, true],
    ['lists every Node (its pod CIDR pick needs the ones taken)', a('list', 'nodes'), {}, true],
    ['renews its own Lease', a('update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n1' }), {}, true],
    ['creates its own Lease', a('create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), { bodyName: 'n1' }, true],
    ['cannot touch another Lease', a('update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' }), {}, false],
    ['cannot delete another node’s Lease', a('delete', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' }), {}, false],
    ['cannot create a Lease named after another node', a('create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), { bodyName: 'n2' }, false],
    ['lists the pod CIDR claims', a('list', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), {}, true],
    ['claims a pod CIDR', a('create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' }), { bodyName: 'podcidr-10-244-3-0-24' }, true],
    ['removes a stale pod CIDR claim', a('delete', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'podcidr-10-244-3-0-24' }), {}, true],
    ['cannot claim a pod CIDR outside kube-node-lease', a('create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'default' }), { bodyName: 'podcidr-10-244-3-0-24' }, false],
    ['cannot touch Leases elsewhere', a('get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-system', name: 'n1' }), {}, false],
    ['lists its pods with the nodeName selector', a('list', 'pods'), { fieldSelector: 'spec.nodeName=n1' }, true],
    ['watches its pods with the selector among others', a('watch', 'pods', { namespace: 'ns' }), { fieldSelector: 'spec.nodeName=n1,status.phase!=Failed' }, true],
    ['cannot list pods without the selector', a('list', 'pods'), {}, false],
    ['cannot list another node’s pods', a('list', 'pods'), { fieldSelector: 'spec.nodeName=n2' }, false],
    ['gets a pod bound to it', a('get', 'pods', { namespace: 'ns', name: 'mine' }), {}, true],
    ['cannot get a pod bound elsewhere', a('get', 'pods', { namespace: 'ns', name: 'theirs' }), {}, false],
    ['updates the status of its pod', a('update', 'pods', { namespace: 'ns', name: 'mine', subresource: 'status' }), {}, true],
    ['cannot update the status of another pod', a('patch', 'pods', { namespace: 'ns', name: 'theirs', subresource: 'status' }), {}, false],
    ['cannot update the spec of its pod', a('update', 'pods', { namespace: 'ns', name: 'mine' }), {}, false],
    ['deletes its pod', a('delete', 'pods', { namespace: 'ns', name: 'mine' }), {}, true],
    ['cannot create pods', a('create', 'pods', { namespace: 'ns' }), {}, false],
    ['reads a Secret its pod mounts', a('get', 'secrets', { namespace: 'ns', name: 'vol-secret' }), {}, true],
    ['reads a Secret its pod uses in env', a('get', 'secrets', { namespace: 'ns', name: 'env-secret' }), {}, true],
    ['watches a referenced Secret by name', a('watch', 'secrets', { namespace: 'ns' }), { fieldSelector: 'metadata.name=vol-secret' }, true],
    ['reads a projected ConfigMap', a('get', 'configmaps', { namespace: 'ns', name: 'proj-cm' }), {}, true],
    ['reads an envFrom ConfigMap', a('get', 'configmaps', { namespace: 'ns', name: 'envfrom-cm' }), {}, true],
    ['cannot read a Secret only another node’s pod uses', a('get', 'secrets', { namespace: 'ns', name: 'their-secret' }), {}, false],
    ['cannot list Secrets', a('list', 'secrets', { namespace: 'ns' }), {}, false],
    ['reads Services', a('list', 'services'), {}, true],
    ['reads EndpointSlices', a('watch', 'endpointslices', { apiGroup: 'discovery.k8s.io' }), {}, true],
    ['cannot write Services', a('update', 'services', { namespace: 'ns', name: 's' }), {}, false],
    ['creates Events', a('create', 'events', { namespace: 'ns' }), {}, true],
    ['cannot read Deployments', a('list', 'deployments', { apiGroup: 'apps' }), {}, false],
  ])('%s', async (_name, attrs, req, allowed) => {
    expect((await authorizeNode('n1', attrs, req, graph)).allowed).toBe(allowed);
  });

  it('explains a denial for another node’s pod the way the Node authorizer does', async () => {
    expect((await authorizeNode('n1', a('get', 'pods', { namespace: 'ns', name: 'theirs' }), {}, graph)).reason).toBe("no relationship found between node 'n1' and this object");
  });
});

/**
 * pods/eviction through the API core over DynamoDB Local: the PodDisruptionBudget covering a pod decides, and a
 * successful eviction spends one of its disruptions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, ns, type Harness } from './api-harness.ts';

let api: Harness;
const NS = 'evict';

beforeAll(async () => {
  api = await createHarness();
  await api.call('POST', '/api/v1/namespaces', { body: ns(NS) });
});

async function runningPod(name: string, app: string, ready = true): Promise<void> {
  const created = await api.call('POST', `/api/v1/namespaces/${NS}/pods`, {
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  });
  expect(created.status).toBe(201);
  const status = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  const res = await api.call('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, { contentType: 'application/merge-patch+json', body: { status } });
  expect(res.status).toBe(200);
}

/** A budget with the status the disruption controller would have written. */
async function budget(name: string, app: string, status: Record<string, unknown>): Promise<void> {
  const created = await api.call('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
    body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: { app } } } },
  });
  expect(created.status).toBe(201);
  const res = await api.call('PATCH', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}/status`, {
    contentType: 'application/merge-patch+json',
    body: { status: { observedGeneration: 1, ...status } },
  });
  expect(res.status).toBe(200);
}

const evict = (name: string) =>
  api.call('POST', `/api/v1/namespaces/${NS}/pods/${name}/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } } });
const exists = async (name: string) => (await api.call('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).status === 200;

describe('pods/eviction', () => {
  it('spends a disruption: the pod goes, the budget records it and has one fewer', async () => {
    await runningPod('a-1', 'a');
    await budget('a', 'a', { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    expect((await evict('a-1')).status).toBe(201);
    expect(await exists('a-1')).toBe(false);
    const pdb = (await api.call('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/a`)).json;
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status.disruptedPods)).toEqual(['a-1']);
    expect(pdb.status.conditions).toMatchObject([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }]);
  });

  it('answers 429 with the budget as the cause when no disruption is left, and keeps the pod', async () => {
    await runningPod('b-1', 'b');
    await budget('b', 'b', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const res = await evict('b-1');
    expect(res.status).toBe(429);
    expect(res.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b needs 1 healthy pods and has 1 currently' }] },
      code: 429,
    });
    expect(await exists('b-1')).toBe(true);
  });

  it('lets an unready pod go without spending when the budget is healthy', async () => {
    await runningPod('c-1', 'c', false);
    await budget('c', 'c', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 2 });
    expect((await evict('c-1')).status).toBe(201);
    expect((await api.call('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/c`)).json.status.disruptedPods).toBeUndefined();
  });

  it('evicts a pod that has not started without asking its budget', async () => {
    await api.call('POST', `/api/v1/namespaces/${NS}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b-pending', labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    expect((await evict('b-pending')).status).toBe(201);
  });

  it('refuses a pod covered by two budgets with 500, as apiserver does', async () => {
    await runningPod('d-1', 'd');
    await budget('d', 'd', { disruptionsAllowed: 1 });
    await budget('d-too', 'd', { disruptionsAllowed: 1 });
    const res = await evict('d-1');
    expect(res.status).toBe(500);
    expect(res.json.message).toBe('Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  });

  it('refuses an Eviction naming another pod', async () => {
    const res = await api.call('POST', `/api/v1/namespaces/${NS}/pods/x/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'y' } } });
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('name in URL does not match name in Eviction object');
  });
});

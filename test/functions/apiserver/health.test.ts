import { describe, expect, it } from 'vitest';
import { healthResponse } from '../../../functions/apiserver/health.ts';
import type { ApiRequest } from '../../../functions/apiserver/http.ts';
import { versionResponse } from '../../../functions/apiserver/version.ts';

function req(method: string, url: string): ApiRequest {
  const u = new URL(url, 'https://x');
  return { method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: {}, body: Buffer.alloc(0), signal: new AbortController().signal };
}

const healthyStore = { currentResourceVersion: async () => '42' };
const brokenStore = { currentResourceVersion: async (): Promise<string> => Promise.reject(new Error('DynamoDB down')) };
const hangingStore = { currentResourceVersion: () => new Promise<string>(() => {}) };

describe('healthResponse', () => {
  it.each(['/healthz', '/livez', '/readyz', '/livez/ping', '/readyz/store'])('answers ok as text/plain on %s', async (path) => {
    const res = await healthResponse(req('GET', path), { store: healthyStore });
    expect(res).toMatchObject({ status: 200, body: 'ok' });
    expect(res?.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('fails readiness, not liveness, when the store fails or hangs', async () => {
    for (const store of [brokenStore, hangingStore]) {
      expect((await healthResponse(req('GET', '/readyz'), { store, readyTimeoutMs: 50 }))?.status).toBe(500);
      expect((await healthResponse(req('GET', '/livez'), { store, readyTimeoutMs: 50 }))?.status).toBe(200);
    }
    const res = await healthResponse(req('GET', '/readyz'), { store: brokenStore });
    expect(res?.body).not.toContain('DynamoDB down');
  });

  it('lists the checks with ?verbose', async () => {
    const res = await healthResponse(req('GET', '/readyz?verbose'), { store: healthyStore });
    expect(res?.body).toBe('[+]ping ok\n[+]store ok\nreadyz check passed\n');
  });

  it.each([
    ['GET', '/api'],
    ['POST', '/healthz'],
    ['GET', '/healthz/nosuch'],
    ['GET', '/readyzz'],
  ])('leaves %s %s to the router', async (method, path) => {
    expect(await healthResponse(req(method, path), { store: healthyStore })).toBeUndefined();
  });
});

describe('versionResponse', () => {
  it('answers /version with the Kubernetes version document', () => {
    const res = versionResponse(req('GET', '/version'));
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body as string)).toEqual({
      major: '1',
      minor: '35',
      gitVersion: 'v1.35.0-zeroplane',
      gitCommit: expect.any(String),
      gitTreeState: 'clean',
      buildDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      goVersion: expect.any(String),
      compiler: 'gc',
      platform: 'linux/amd64',
    });
  });

  it('leaves other paths alone', () => {
    expect(versionResponse(req('GET', '/versions'))).toBeUndefined();
    expect(versionResponse(req('POST', '/version'))).toBeUndefined();
  });
});

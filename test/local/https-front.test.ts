import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCore, ApiRequest } from '../../functions/apiserver/http.ts';
import { errors } from '../../shared/api/status.ts';
import { PortInUseError, startHttpsFront, type HttpsFront } from '../../local/https-front.ts';
import { ensureTls, type TlsMaterial } from '../../local/tls.ts';

let dataDir: string;
let tls: TlsMaterial;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zp-front-'));
  tls = await ensureTls(dataDir);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** A controllable stream: the test pushes chunks and sees what the client received in between. */
function channel() {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(chunk: string) {
      queue.push(chunk);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *iterate(signal: AbortSignal): AsyncGenerator<string> {
      signal.addEventListener('abort', () => wake?.());
      for (;;) {
        if (queue.length) yield queue.shift()!;
        else if (ended || signal.aborted) return;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

async function withFront(core: ApiCore, run: (front: HttpsFront) => Promise<void>): Promise<void> {
  const front = await startHttpsFront({ port: 0, certPem: tls.serverCertPem, keyPem: tls.serverKeyPem, core });
  try {
    await run(front);
  } finally {
    await front.close();
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(front: HttpsFront, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${front.url}${path}`, { method, ca: tls.caCertPem, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startHttpsFront', () => {
  it('serves over TLS trusted through the CA and translates the request', async () => {
    let seen: ApiRequest | undefined;
    await withFront(
      async (req) => {
        seen = req;
        return { status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      },
      async (front) => {
        expect(front.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        const reply = await call(front, 'post', '/api/v1/namespaces/default/pods?dryRun=All&x=1&x=2&labelSelector=app%3Dweb', '{"a":1}', {
          'X-Custom': 'Yes',
          authorization: 'Bearer t',
        });
        expect(reply).toMatchObject({ status: 201, body: '{"ok":true}' });
        expect(reply.headers['content-type']).toBe('application/json');
      },
    );
    expect(seen).toMatchObject({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      query: { dryRun: 'All', x: '2', labelSelector: 'app=web' },
      headers: expect.objectContaining({ 'x-custom': 'Yes', authorization: 'Bearer t' }),
    });
    expect(seen!.body.toString()).toBe('{"a":1}');
    expect(seen!.signal.aborted).toBe(false);
  });

  it('writes each chunk of a streamed body as it is produced', async () => {
    const stream = channel();
    await withFront(
      async (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: stream.iterate(req.signal) }),
      async (front) => {
        const received: string[] = [];
        let ended = false;
        const req = request(`${front.url}/api/v1/pods?watch=true`, { ca: tls.caCertPem }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => received.push(c));
          res.on('end', () => (ended = true));
        });
        req.end();
        stream.push('{"type":"ADDED"}\n');
        await expect.poll(() => received.join('')).toBe('{"type":"ADDED"}\n');
        stream.push('{"type":"MODIFIED"}\n');
        await expect.poll(() => received.join('')).toBe('{"type":"ADDED"}\n{"type":"MODIFIED"}\n');
        expect(ended).toBe(false);
        stream.end();
        await expect.poll(() => ended).toBe(true);
      },
    );
  });

  it('aborts the request signal when the client goes away mid-stream', async () => {
    const stream = channel();
    let signal: AbortSignal | undefined;
    let finished = false;
    await withFront(
      async (req) => {
        signal = req.signal;
        async function* body(): AsyncGenerator<string> {
          try {
            yield* stream.iterate(req.signal);
          } finally {
            finished = true;
          }
        }
        return { status: 200, headers: {}, body: body() };
      },
      async (front) => {
        let gotFirst = false;
        const req = request(`${front.url}/watch`, { ca: tls.caCertPem }, (res) => res.once('data', () => (gotFirst = true)));
        req.on('error', () => {});
        req.end();
        stream.push('x\n');
        await expect.poll(() => gotFirst).toBe(true);
        req.destroy();
        await expect.poll(() => signal?.aborted).toBe(true);
        await expect.poll(() => finished).toBe(true);
      },
    );
  });

  it('turns a thrown StatusError into its Status and anything else into a 500 that leaks nothing', async () => {
    await withFront(
      async (req) => {
        if (req.path === '/missing') throw errors.notFound({ group: '', resource: 'pods' }, 'x');
        throw new Error('secret internals');
      },
      async (front) => {
        const missing = await call(front, 'GET', '/missing');
        expect(missing.status).toBe(404);
        expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
        const broken = await call(front, 'GET', '/broken');
        expect(broken.status).toBe(500);
        expect(broken.body).not.toContain('secret internals');
        expect(JSON.parse(broken.body)).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
      },
    );
  });

  it('answers 413 to a body above the limit', async () => {
    const front = await startHttpsFront({
      port: 0,
      certPem: tls.serverCertPem,
      keyPem: tls.serverKeyPem,
      maxBodyBytes: 10,
      core: async () => ({ status: 200, headers: {}, body: 'ok' }),
    });
    try {
      const reply = await call(front, 'POST', '/x', 'x'.repeat(11));
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toMatchObject({ reason: 'RequestEntityTooLarge' });
    } finally {
      await front.close();
    }
  });

  it('closes with open streams and refuses a taken port clearly', async () => {
    const stream = channel();
    const front = await startHttpsFront({
      port: 0,
      certPem: tls.serverCertPem,
      keyPem: tls.serverKeyPem,
      core: async (req) => ({ status: 200, headers: {}, body: stream.iterate(req.signal) }),
    });
    await expect(startHttpsFront({ port: front.port, certPem: tls.serverCertPem, keyPem: tls.serverKeyPem, core: async () => ({ status: 200, headers: {}, body: '' }) })).rejects.toBeInstanceOf(PortInUseError);
    let gotHeaders = false;
    const req = request(`${front.url}/watch`, { ca: tls.caCertPem }, () => (gotHeaders = true));
    req.on('error', () => {});
    req.end();
    await expect.poll(() => gotHeaders).toBe(true);
    await front.close();
  });
});

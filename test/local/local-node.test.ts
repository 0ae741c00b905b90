import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKER_SOCKET, dockerAnswers, localNodeName } from '../../local/local-node.ts';

describe('dockerAnswers', () => {
  it('is true when dockerd answers its ping on the socket', async () => {
    expect(await dockerAnswers(DOCKER_SOCKET)).toBe(true);
  });

  it('is false when nothing listens on the socket path', async () => {
    expect(await dockerAnswers('/nonexistent/docker.sock')).toBe(false);
  });

  it('is false when the socket answers something other than 200', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zp-sock-'));
    const server = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
    try {
      expect(await dockerAnswers(join(dir, 's.sock'))).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('localNodeName', () => {
  it.each([
    [{ ZEROPLANE_NODE_NAME: 'Worker-1' }, 'worker-1'],
    [{ ZEROPLANE_NODE_NAME: '' }, hostname().toLowerCase()],
    [{}, hostname().toLowerCase()],
  ])('with %j is %s', (env, expected) => {
    expect(localNodeName(env)).toBe(expected);
  });
});

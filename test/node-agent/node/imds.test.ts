import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsProviderId, EC2_IMDS_URL, imdsUrlFrom, readInstanceMetadata } from '../../../node-agent/node/imds.ts';

/** A local IMDSv2: a token from PUT, metadata only with that token (as EC2 enforces with HttpTokens=required). */
function fakeImds(): Server {
  const md: Record<string, string> = {
    'instance-id': 'i-0123456789abcdef0',
    'instance-type': 'm7g.large',
    'placement/availability-zone': 'eu-west-1b',
    'placement/region': 'eu-west-1',
    'local-ipv4': '10.0.3.17',
    'local-hostname': 'ip-10-0-3-17.eu-west-1.compute.internal',
  };
  return createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return res.end('tok-1');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'tok-1') return res.writeHead(401).end();
    const value = md[(req.url ?? '').replace('/latest/meta-data/', '')];
    if (value === undefined) return res.writeHead(404).end();
    res.end(value);
  });
}

describe('IMDSv2 client', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = fakeImds();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads instance id, type, zone and addresses with a session token', async () => {
    const md = await readInstanceMetadata({ baseUrl: url });
    expect(md).toEqual({
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm7g.large',
      availabilityZone: 'eu-west-1b',
      region: 'eu-west-1',
      localIpv4: '10.0.3.17',
      localHostname: 'ip-10-0-3-17.eu-west-1.compute.internal',
    });
    expect(awsProviderId(md!)).toBe('aws:///eu-west-1b/i-0123456789abcdef0');
  });

  it('gives up quickly when nothing answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    const md = await readInstanceMetadata({ baseUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, timeoutMs: 200 });
    expect(md).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it.each([
    [undefined, undefined, undefined],
    [undefined, '', undefined],
    [undefined, 'false', undefined],
    [true, undefined, EC2_IMDS_URL],
    [undefined, 'true', EC2_IMDS_URL],
    ['http://127.0.0.1:1234', 'true', 'http://127.0.0.1:1234'],
    [undefined, 'http://127.0.0.1:9', 'http://127.0.0.1:9'],
  ])('flag %s and env %s read IMDS from %s', (flag, env, expected) => {
    expect(imdsUrlFrom(flag, env)).toBe(expected);
  });
});

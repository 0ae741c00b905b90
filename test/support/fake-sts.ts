/**
 * A fake STS on 127.0.0.1 answering presigned GetCallerIdentity requests the way STS does: it recomputes the SigV4
 * signature from the request it got (query, the x-k8s-aws-id header, the host the token named) and the secret of
 * the access key, answers 403 SignatureDoesNotMatch when they differ, and the key's identity otherwise (XML, or
 * JSON when asked with `json: true`). So a token signed for another cluster, or a tampered one, fails here as at AWS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseAmzDate } from '../../functions/apiserver/authn/aws-iam-token-check.ts';
import { NodeSha256 } from '../../shared/aws-iam-token-signer.ts';

export interface FakeStsKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  arn: string;
  account: string;
  userId: string;
}

export interface FakeSts {
  url: string;
  /** Requests received, in order. */
  requests: { search: string; clusterId: string | undefined; accept: string | undefined }[];
  /** Answer in JSON (as STS does for Accept: application/json) instead of XML. */
  json: boolean;
  close(): Promise<void>;
}

export async function startFakeSts(options: { host: string; region: string; keys: FakeStsKey[] }): Promise<FakeSts> {
  const requests: FakeSts['requests'] = [];
  const state = { json: false };

  const fail = (res: ServerResponse, status: number, code: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const clusterId = req.headers['x-k8s-aws-id'] as string | undefined;
    requests.push({ search: url.search, clusterId, accept: req.headers.accept });
    const q = url.searchParams;
    const signature = q.get('X-Amz-Signature');
    const date = parseAmzDate(q.get('X-Amz-Date') ?? '');
    const [accessKeyId] = (q.get('X-Amz-Credential') ?? '').split('/');
    const key = options.keys.find((k) => k.accessKeyId === accessKeyId);
    if (req.method !== 'GET' || !signature || !date || clusterId === undefined) return fail(res, 400, 'MissingAuthenticationToken');
    if (!key) return fail(res, 403, 'InvalidClientTokenId');
    if (q.get('Action') !== 'GetCallerIdentity') return fail(res, 400, 'InvalidAction');
    const signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
      region: options.region,
      service: 'sts',
      sha256: NodeSha256,
    });
    const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
    const headers: Record<string, string> = { host: options.host };
    if (signedHeaders.includes('x-k8s-aws-id')) headers['x-k8s-aws-id'] = clusterId;
    const expected = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname: options.host, path: '/', query: { Action: q.get('Action')!, Version: q.get('Version') ?? '' }, headers },
      { signingDate: date, expiresIn: Number(q.get('X-Amz-Expires')) },
    );
    if (expected.query?.['X-Amz-Signature'] !== signature || (key.sessionToken && q.get('X-Amz-Security-Token') !== key.sessionToken)) {
      return fail(res, 403, 'SignatureDoesNotMatch');
    }
    if (state.json) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: key.account, Arn: key.arn, UserId: key.userId }, ResponseMetadata: { RequestId: 'fake' } } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <GetCallerIdentityResult>\n    <Arn>${key.arn}</Arn>\n    <UserId>${key.userId}</UserId>\n    <Account>${key.account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => fail(res, 500, 'InternalFailure'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get json() {
      return state.json;
    },
    set json(value: boolean) {
      state.json = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

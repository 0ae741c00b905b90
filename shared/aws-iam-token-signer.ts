/**
 * The client side of the AWS IAM token (format in aws-iam-token.ts): presigns sts:GetCallerIdentity with SigV4
 * (@smithy/signature-v4) for whatever credentials the caller has — `zeroplane token` for kubectl, the node agent
 * with its instance role. Signing is local: nothing is sent to AWS here.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CLUSTER_ID_HEADER,
  encodeIamToken,
  GLOBAL_STS_SIGNING_REGION,
  PRESIGN_EXPIRES_SECONDS,
  STS_ACTION,
  STS_SIGNING_SERVICE,
  STS_VERSION,
  stsHostFor,
  TOKEN_LIFETIME_MS,
  TOKEN_REFRESH_MARGIN_MS,
} from './aws-iam-token.ts';

type SignerInit = ConstructorParameters<typeof SignatureV4>[0];
/** Static keys or a provider (the default chain: `@aws-sdk/credential-provider-node`). */
export type AwsCredentials = SignerInit['credentials'];
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape SignatureV4 wants (no extra dependency for it). */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
}

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export interface IamTokenRequest {
  clusterName: string;
  /** The region whose STS endpoint the token names; undefined → the global endpoint (signed for us-east-1). */
  region?: string;
  credentials: AwsCredentials;
  /** The signing time; default now. */
  now?: Date;
}

export interface IamToken {
  token: string;
  /** When a client should stop using it (a minute before the server stops accepting it). */
  expiresAt: Date;
}

export async function presignIamToken({ clusterName, region, credentials, now = new Date() }: IamTokenRequest): Promise<IamToken> {
  const hostname = stsHostFor(region);
  const signer = new SignatureV4({
    credentials,
    region: region ?? GLOBAL_STS_SIGNING_REGION,
    service: STS_SIGNING_SERVICE,
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: STS_ACTION, Version: STS_VERSION },
      // Not an x-amz- header, so it stays a header and is signed: the API must send the same value to STS.
      headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: now },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  return {
    token: encodeIamToken(`https://${hostname}/?${query}`),
    expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS - TOKEN_REFRESH_MARGIN_MS),
  };
}

export interface IamTokenSource {
  /** A token good for at least a minute more, signed anew when the last one is about to expire. */
  token(): Promise<string>;
}

/** For long-running clients (the node agent): one signature per ~14 minutes rather than one per request. */
export function createIamTokenSource(request: Omit<IamTokenRequest, 'now'> & { now?: () => Date }): IamTokenSource {
  const now = request.now ?? (() => new Date());
  let current: Promise<IamToken> | undefined;
  return {
    async token() {
      const cached = current && (await current.catch(() => undefined));
      if (cached && cached.expiresAt.getTime() > now().getTime()) return cached.token;
      current = presignIamToken({ ...request, now: now() });
      return (await current).token;
    },
  };
}

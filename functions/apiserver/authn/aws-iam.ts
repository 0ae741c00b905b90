/**
 * The AWS IAM token authenticator: a `k8s-aws-v1.` bearer token (a presigned sts:GetCallerIdentity, see
 * shared/aws-iam-token.ts) is checked (aws-iam-token-check.ts), replayed to the STS host it names with this
 * cluster's name in `x-k8s-aws-id`, and the ARN STS answers with is mapped to a user (aws-iam-identity.ts).
 * Worker nodes authenticate this way with their instance role, and so do administrators on AWS (kubeconfig exec
 * plugin `zeroplane token`). A verified token is remembered until it expires, so a node's or kubectl's burst of
 * requests costs one STS call per token (one every ~14 minutes per client), not one per request.
 * Every failure is a 401, as apiserver's token authenticators answer (the reason goes to `onReject` for the log,
 * never to the client).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CLUSTER_ID_HEADER, IAM_TOKEN_PREFIX } from '../../../shared/aws-iam-token.ts';
import { errors } from '../../../shared/api/status.ts';
import type { UserInfo } from '../authz/attributes.ts';
import { CallerIdentitySchema, IamIdentityConfigSchema, IamMappingSchema, userOfCaller, type CallerIdentity, type IamIdentityConfig } from './aws-iam-identity.ts';
import { checkIamToken } from './aws-iam-token-check.ts';

export interface IamAuthenticatorOptions extends IamIdentityConfig {
  /** This cluster's name: tokens must be signed over `x-k8s-aws-id: <clusterName>`. */
  clusterName: string;
  /**
   * Tests only: the origin (e.g. `http://127.0.0.1:4566`) that receives the presigned request instead of the STS
   * host the token names. Production never sets it; the host check still applies to the token.
   */
  stsEndpointOverride?: string;
  now?: () => Date;
  /** How long to wait for STS. Default 5 s. */
  stsTimeoutMs?: number;
  /** Verified tokens remembered at most. Default 10 000. */
  maxCachedTokens?: number;
  /** Why a token was refused (for a structured log line; holds no secret). */
  onReject?: (reason: string) => void;
}

export interface IamAuthenticator {
  /**
   * undefined when `token` is not an AWS IAM token (another authenticator's turn); the user when STS vouches for
   * it and its ARN is mapped; throws errors.unauthorized() otherwise.
   */
  authenticate(token: string): Promise<UserInfo | undefined>;
}

const JsonResponseSchema = z.object({
  GetCallerIdentityResponse: z.object({ GetCallerIdentityResult: CallerIdentitySchema }),
});

class Rejected extends Error {}

/** The caller in an STS answer, JSON (Accept: application/json) or the Query API's XML. */
export function parseCallerIdentity(contentType: string, body: string): CallerIdentity | undefined {
  if (/json/i.test(contentType)) {
    try {
      const parsed = JsonResponseSchema.safeParse(JSON.parse(body));
      return parsed.success ? parsed.data.GetCallerIdentityResponse.GetCallerIdentityResult : undefined;
    } catch {
      return undefined;
    }
  }
  const result = /<GetCallerIdentityResult>([\s\S]*?)<\/GetCallerIdentityResult>/.exec(body)?.[1];
  if (result === undefined) return undefined;
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(result)?.[1];
  const parsed = CallerIdentitySchema.safeParse({ Arn: field('Arn'), Account: field('Account'), UserId: field('UserId') });
  return parsed.success ? parsed.data : undefined;
}

export function createIamAuthenticator(options: IamAuthenticatorOptions): IamAuthenticator {
  const config = IamIdentityConfigSchema.parse(options);
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.stsTimeoutMs ?? 5000;
  const maxCached = options.maxCachedTokens ?? 10_000;
  const override = options.stsEndpointOverride?.replace(/\/+$/, '');
  const verified = new Map<string, { user: UserInfo; until: number }>();
  const inFlight = new Map<string, Promise<{ user: UserInfo; until: number }>>();

  const remember = (key: string, entry: { user: UserInfo; until: number }): void => {
    if (verified.size >= maxCached) {
      const t = now().getTime();
      for (const [k, v] of verified) if (v.until <= t) verified.delete(k);
      // Still full: drop the oldest (Map keeps insertion order).
      for (const k of verified.keys()) {
        if (verified.size < maxCached) break;
        verified.delete(k);
      }
    }
    verified.set(key, entry);
  };

  const askSts = async (host: string, search: string): Promise<CallerIdentity> => {
    let response: Response;
    try {
      response = await fetch(`${override ?? `https://${host}`}/${search}`, {
        method: 'GET',
        headers: { [CLUSTER_ID_HEADER]: options.clusterName, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new Rejected(`STS unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const body = await response.text();
    if (response.status !== 200) {
      const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? /"Code"\s*:\s*"([^"]*)"/.exec(body)?.[1] ?? '';
      throw new Rejected(`STS answered ${response.status}${code ? ' ' + code : ''}`);
    }
    const caller = parseCallerIdentity(response.headers.get('content-type') ?? '', body);
    if (!caller) throw new Rejected('STS answer has no caller identity');
    return caller;
  };

  const verify = async (token: string): Promise<{ user: UserInfo; until: number }> => {
    const check = checkIamToken(token, now());
    if (!check.ok) throw new Rejected(check.reason);
    const caller = await askSts(check.token.host, check.token.search);
    const mapped = userOfCaller(caller, config, check.token.accessKeyId);
    if (!mapped.ok) throw new Rejected(mapped.reason);
    return { user: mapped.user, until: check.token.validUntil.getTime() };
  };

  return {
    async authenticate(token) {
      if (!token.startsWith(IAM_TOKEN_PREFIX)) return undefined;
      const key = createHash('sha256').update(token).digest('base64url');
      const hit = verified.get(key);
      if (hit && hit.until > now().getTime()) return hit.user;
      if (hit) verified.delete(key);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verify(token).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      try {
        const entry = await pending;
        remember(key, entry);
        return entry.user;
      } catch (err) {
        options.onReject?.(err instanceof Rejected ? err.message : `unexpected: ${String(err)}`);
        throw errors.unauthorized();
      }
    },
  };
}

/**
 * The authenticator's options from the API function's environment: CLUSTER_NAME, NODE_ROLE_ARN, ADMIN_ARNS
 * (comma-separated) and IAM_MAPPINGS (a JSON array of {arn, username, groups}). undefined when the cluster has no
 * name or nobody could be mapped (the local cluster).
 */
export function iamAuthenticatorOptionsFromEnv(env: Record<string, string | undefined>): IamAuthenticatorOptions | undefined {
  const clusterName = env.CLUSTER_NAME?.trim();
  const nodeRoleArn = env.NODE_ROLE_ARN?.trim() || undefined;
  const adminArns = (env.ADMIN_ARNS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const mappings = env.IAM_MAPPINGS?.trim() ? z.array(IamMappingSchema).parse(JSON.parse(env.IAM_MAPPINGS)) : [];
  if (!clusterName || (!nodeRoleArn && adminArns.length === 0 && mappings.length === 0)) return undefined;
  return { clusterName, ...(nodeRoleArn ? { nodeRoleArn } : {}), adminArns, mappings };
}

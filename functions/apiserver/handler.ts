/**
 * The API Lambda: wiring only. A function URL (invoke mode RESPONSE_STREAM) event becomes an ApiRequest, the API
 * core answers it, and the ApiResponse is streamed back (watches stay open until they end). Middy carries the
 * request log and the last-resort error → Status translation.
 */
import { createIamAuthenticator, iamAuthenticatorOptionsFromEnv } from './authn/aws-iam.ts';
import { clusterMetricsSource } from '../metrics/cluster-metrics.ts';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/executionModeStreamifyResponse';
import { pino, type Logger } from 'pino';
import { createDynamoStore } from '../store/dynamodb-store.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { encryptSecrets, kmsDataKeys } from '../store/encrypting-store.ts';
import { stdoutAuditSink } from './authz/audit-log.ts';
import { secretsManagerKey } from './authz/signing-key.ts';
import { createTokenIssuer } from './authz/token-issuer.ts';
import { createApiCore, DEFAULT_SERVICE_CIDR, type ApiCoreDeps } from './core.ts';
import { apiResponseToResult, eventToApiRequest, FunctionUrlEventSchema, type StreamingResult } from './function-url-event.ts';
import { errorStatus } from './middleware/error-status.ts';
import { requestLogging } from './middleware/request-logging.ts';
import { errors } from '../../shared/api/status.ts';

export interface HandlerOptions {
  /** Response streaming through Lambda's `awslambda.streamifyResponse` (on in Lambda; off to call it directly). */
  streaming?: boolean;
}

/** Ends streamed replies (watches) a little before the invocation's own deadline, so clients see a clean end of
 *  stream rather than a cut connection. Middy's early-timeout signal only covers the handler call, not the stream. */
const STREAM_END_MARGIN_MS = 2000;

function requestSignal(context: unknown, signal: AbortSignal | undefined): AbortSignal {
  const signals = signal ? [signal] : [];
  const remaining = (context as { getRemainingTimeInMillis?: () => number } | undefined)?.getRemainingTimeInMillis?.();
  if (typeof remaining === 'number') signals.push(AbortSignal.timeout(Math.max(1000, remaining - STREAM_END_MARGIN_MS)));
  return signals.length ? AbortSignal.any(signals) : new AbortController().signal;
}

/*
 * Pod streams on Lambda. `kubectl logs` (and `logs -f`) works here: the core relays the node server's text/plain
 * body as a streamed reply (node-proxy.ts), given `nodeClient` in the deps. SEAM: realDeps does not load that client
 * certificate yet; on AWS it belongs in Secrets Manager, issued by the cluster CA the agents trust.
 * `exec`, `attach` and `port-forward` cannot work through a function URL: they need the HTTP/1.1 Upgrade of the
 * client's own connection and a long-lived bidirectional stream, and function URLs (like API Gateway HTTP/REST
 * APIs) neither pass the Upgrade nor keep the socket. The core answers them with a 400 Status starting
 * `Upgrade request required`, which kubectl prints. The AWS path: a TLS NLB listener in front of a small
 * long-running task (ECS/Fargate, or the agent on a node) that runs the same API core behind the local front's
 * upgrade proxy (local/https-front.ts + local/upgrade-proxy.ts), i.e. apiserver's UpgradeAwareHandler, piping
 * each authenticated upgrade to the pod's node server; the kubeconfig points at that endpoint.
 */
export function makeHandler(deps: ApiCoreDeps, options: HandlerOptions = { streaming: true }) {
  const core = createApiCore(deps);
  const base = async (event: unknown, context: unknown, opts?: { signal?: AbortSignal }): Promise<StreamingResult> => {
    const parsed = FunctionUrlEventSchema.safeParse(event);
    if (!parsed.success) throw errors.badRequest('the request is not a function URL event');
    const res = await core(eventToApiRequest(parsed.data, requestSignal(context, opts?.signal)));
    return apiResponseToResult(res, options.streaming !== false);
  };
  const pluginConfig = options.streaming
    ? // End watches a little before the Lambda's own timeout, so clients see a clean end of stream.
      { executionMode: executionModeStreamifyResponse, timeoutEarlyInMillis: 1000 }
    : {};
  return middy(base, pluginConfig).use(errorStatus()).use(requestLogging(deps.logger));
}

/** Production dependencies from the environment. */
export function realDeps(env: NodeJS.ProcessEnv = process.env, logger: Logger = pino({ level: env.LOG_LEVEL ?? 'info' })): ApiCoreDeps {
  const tablePrefix = env.TABLE_PREFIX;
  if (!tablePrefix) throw new Error('TABLE_PREFIX is not set');
  const dynamoStore = createDynamoStore({
    client: new DynamoDBClient({}),
    tablePrefix,
    onError: (err) => logger.error({ err }, 'store background error'),
  });
  // Secrets are sealed under a KMS data key (SECRETS_KMS_KEY_ARN); SA and node tokens are signed with the
  // SecretString of TOKEN_SIGNING_SECRET_ARN. Both are loaded on first use only.
  const store = env.SECRETS_KMS_KEY_ARN ? encryptSecrets(dynamoStore, kmsDataKeys(new KMSClient({}), env.SECRETS_KMS_KEY_ARN)) : dynamoStore;
  const tokenIssuer = env.TOKEN_SIGNING_SECRET_ARN ? createTokenIssuer(secretsManagerKey(new SecretsManagerClient({}), env.TOKEN_SIGNING_SECRET_ARN)) : undefined;
  // Nodes (their instance role) and users (their IAM identity) sign in with presigned STS GetCallerIdentity
  // requests, as on EKS: CLUSTER_NAME, NODE_ROLE_ARN, ADMIN_ARNS and IAM_MAPPINGS say who is who.
  const iamOptions = iamAuthenticatorOptionsFromEnv(env);
  const iam = iamOptions ? createIamAuthenticator({ ...iamOptions, onReject: (reason) => logger.info({ reason }, 'aws-iam token refused') }) : undefined;
  return {
    store,
    tokenIssuer,
    iam,
    metrics: clusterMetricsSource(),
    audit: stdoutAuditSink(),
    tokens: (env.TOKEN_HASHES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    serviceCidr: env.SERVICE_CIDR || DEFAULT_SERVICE_CIDR,
    logger,
    maxWatchSeconds: env.MAX_WATCH_SECONDS ? Number(env.MAX_WATCH_SECONDS) : 840,
  };
}

/**
 * The Lambda entry point. Lambda recognises a streaming handler by a marker that `awslambda.streamifyResponse`
 * sets, so the handler must be built at load time, inside Lambda (AWS_LAMBDA_FUNCTION_NAME is the runtime's own
 * variable; `awslambda` alone is no sign: the AWS SDK defines it too). Elsewhere importing this builds nothing.
 */
export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME ? makeHandler(realDeps()) : undefined;

/**
 * The HTTPS front: the API function behind a Lambda function URL in RESPONSE_STREAM mode. A watch
 * (`kubectl get -w`, informers) is one invocation that streams events until the function's timeout (15 min), and
 * the client re-lists/re-watches from its last resourceVersion; API Gateway's HTTP API would cut every request at
 * 30 s and buffer the response (cdk/README.md, "Why a function URL").
 *
 * Auth NONE on the URL: the API authenticates every request itself with bearer tokens (kubeconfig tokens, service
 * account tokens, node credentials) exactly as kube-apiserver does, and kubectl cannot sign requests with SigV4.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface ApiFrontProps {
  api: ZeroplaneFunction;
  /**
   * Seconds after which the API ends a watch cleanly (clients then re-watch). Default: the function timeout minus
   * a minute, so the stream ends before Lambda kills the invocation.
   */
  maxWatchSeconds?: number;
}

export class ApiFront extends Construct {
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApiFrontProps) {
    super(scope, id);
    const timeoutSeconds = props.api.function.timeout?.toSeconds() ?? 900;
    const maxWatchSeconds = props.maxWatchSeconds ?? Math.max(timeoutSeconds - 60, 1);
    if (maxWatchSeconds >= timeoutSeconds) {
      throw new Error(`maxWatchSeconds (${maxWatchSeconds}) must be below the API function timeout (${timeoutSeconds} s)`);
    }
    props.api.function.addEnvironment('MAX_WATCH_SECONDS', String(maxWatchSeconds));
    this.url = props.api.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
  }
}

/**
 * What `zeroplane token` and `zeroplane kubeconfig` do (declared in aws-commands.ts). Credentials come from the AWS
 * SDK's default chain (environment, profiles, SSO, instance role…); tests pass their own.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { stringify } from 'yaml';
import { presignIamToken, type AwsCredentials } from '../shared/aws-iam-token-signer.ts';
import { readStackConnection, renderAwsKubeconfig, writeAwsKubeconfig } from './aws-kubeconfig.ts';
import type { KubeconfigOptions, TokenOptions } from './aws-commands.ts';
import { renderExecCredential } from './exec-credential.ts';

export interface TokenDeps {
  credentials?: AwsCredentials;
  env?: Record<string, string | undefined>;
  now?: Date;
  print?: (text: string) => void;
}

export async function printToken(opts: TokenOptions, deps: TokenDeps = {}): Promise<void> {
  const env = deps.env ?? process.env;
  const region = opts.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const { token, expiresAt } = await presignIamToken({
    clusterName: opts.cluster,
    region,
    credentials: deps.credentials ?? defaultProvider(),
    now: deps.now ?? new Date(),
  });
  (deps.print ?? ((t) => process.stdout.write(t)))(JSON.stringify(renderExecCredential(token, expiresAt)) + '\n');
}

export interface KubeconfigDeps {
  /** A CloudFormation client (its region is the stack's); default one from the options and the default chain. */
  cloudFormation?: CloudFormationClient;
  print?: (text: string) => void;
}

export async function writeKubeconfigForStack(opts: KubeconfigOptions, deps: KubeconfigDeps = {}): Promise<void> {
  const cfn =
    deps.cloudFormation ??
    new CloudFormationClient({ ...(opts.region ? { region: opts.region } : {}), credentials: defaultProvider(opts.profile ? { profile: opts.profile } : {}) });
  let region: string;
  try {
    region = opts.region ?? (await cfn.config.region());
  } catch {
    throw new Error('no AWS region: pass --region or set AWS_REGION');
  }
  const connection = await readStackConnection(cfn, opts.stack);
  const config = renderAwsKubeconfig({ ...connection, region, ...(opts.profile ? { profile: opts.profile } : {}) });
  const print = deps.print ?? ((t) => process.stdout.write(t));
  if (opts.output) {
    await writeAwsKubeconfig(opts.output, config);
    print(`✓ wrote ${opts.output} (context ${config['current-context']}, server ${connection.apiUrl})\n`);
  } else {
    print(stringify(config));
  }
}

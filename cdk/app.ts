/**
 * The CDK app: bundles the Lambda functions and the node agent (one esbuild call each, cdk/bundle.ts), then
 * synthesizes one `Zeroplane` stack with cdk-nag's AWS Solutions checks as a validation plugin (a finding that is
 * not acknowledged, with its reason, beside the construct that causes it fails the synth).
 *
 *   npx cdk synth -q --no-notices            (offline: CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true)
 *   npx cdk deploy -c clusterName=dev -c maxNodes=5
 *
 * Props come from context (`-c key=value` or cdk.json): clusterName, nodeInstanceType, minNodes, maxNodes,
 * serviceCidr, podCidr, vpcCidr, nodePortSourceCidrs (comma-separated), adminTokenHashes (comma-separated), adminArns (comma-separated),
 * resyncMinutes, region. The account stays agnostic and nothing is looked up, so synth needs no credentials; the
 * region is the `region` context, else the CLI's (CDK_DEFAULT_REGION, from the AWS profile), else us-east-1.
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bundleAll, lambdaAssetDir, nodeAgentAssetDir } from './bundle.ts';
import { LAMBDA_FUNCTIONS, type LambdaName } from './lambda-functions.ts';
import { ZeroplaneStack } from './zeroplane-stack.ts';

const app = new App();
const bundled = await bundleAll();
if (bundled.missing.length > 0) {
  // No placeholder code: a cluster without one of its functions (or its node agent) would deploy and not work.
  throw new Error(`cannot synthesize Zeroplane: these entries do not exist yet: ${bundled.missing.join(', ')} (see cdk/lambda-functions.ts)`);
}

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
};
const numberContext = (key: string): number | undefined => {
  const value = context(key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`context ${key}=${value} is not a number`);
  return n;
};
const listContext = (key: string): string[] | undefined =>
  context(key)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const resyncMinutes = numberContext('resyncMinutes');
const lambdaCode = {} as Record<LambdaName, lambda.Code>;
for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaName[]) lambdaCode[name] = lambda.Code.fromAsset(lambdaAssetDir(name));
new ZeroplaneStack(app, 'Zeroplane', {
  env: { region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
  description: 'Zeroplane: a Kubernetes-compatible control plane on Lambda, DynamoDB and SQS',
  clusterName: context('clusterName'),
  nodeInstanceType: context('nodeInstanceType'),
  minNodes: numberContext('minNodes'),
  maxNodes: numberContext('maxNodes'),
  serviceCidr: context('serviceCidr'),
  podCidr: context('podCidr'),
  vpcCidr: context('vpcCidr'),
  nodePortSourceCidrs: listContext('nodePortSourceCidrs'),
  adminTokenHashes: listContext('adminTokenHashes'),
  adminArns: listContext('adminArns'),
  resyncInterval: resyncMinutes === undefined ? undefined : Duration.minutes(resyncMinutes),
  lambdaCode,
  nodeAgentPath: nodeAgentAssetDir(),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

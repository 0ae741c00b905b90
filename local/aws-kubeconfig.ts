/**
 * A kubeconfig for a cluster deployed with `cdk deploy`: the API URL and cluster name come from the stack's
 * outputs (ApiUrl, ClusterName), and the user is an exec credential plugin that signs an AWS IAM token with the
 * caller's own AWS credentials on every use (`zeroplane token`), as `aws eks update-kubeconfig` does. The file
 * therefore holds no secret, and access follows IAM: whoever the cluster maps (ADMIN_ARNS) gets in.
 * The function URL has a public certificate, so there is no certificate-authority-data.
 */
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { EXEC_CREDENTIAL_API_VERSION } from './exec-credential.ts';

export interface StackConnection {
  apiUrl: string;
  clusterName: string;
}

/** Statuses in which a stack has no (or no longer trustworthy) outputs. */
const UNUSABLE_STATUS = /^(CREATE_IN_PROGRESS|CREATE_FAILED|ROLLBACK_|DELETE_|IMPORT_ROLLBACK_)/;

/** The stack's ApiUrl and ClusterName outputs (cdk/zeroplane-stack.ts). */
export async function readStackConnection(cfn: CloudFormationClient, stackName: string): Promise<StackConnection> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} not found`);
  if (stack.StackStatus && UNUSABLE_STATUS.test(stack.StackStatus)) throw new Error(`stack ${stackName} is ${stack.StackStatus}`);
  const output = (key: string): string => {
    const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`stack ${stackName} has no ${key} output (is it a Zeroplane stack?)`);
    return value;
  };
  return { apiUrl: output('ApiUrl').replace(/\/+$/, ''), clusterName: output('ClusterName') };
}

export interface AwsKubeconfigInput extends StackConnection {
  region: string;
  /** An AWS profile the plugin should sign with (set as AWS_PROFILE for it). */
  profile?: string;
}

/** The command kubectl runs for a token. `--no`: never let npx fetch some other package named zeroplane. */
export function tokenCommand({ clusterName, region }: { clusterName: string; region: string }): { command: string; args: string[] } {
  return { command: 'npx', args: ['--no', 'zeroplane', 'token', '--cluster', clusterName, '--region', region] };
}

/** One name for the cluster, user and context entries, unique per deployment. */
export function entryName({ clusterName, region }: { clusterName: string; region: string }): string {
  return `${clusterName}.${region}`;
}

const NamedSchema = z.looseObject({ name: z.string() });
const KubeconfigSchema = z.looseObject({
  apiVersion: z.string().default('v1'),
  kind: z.string().default('Config'),
  clusters: z.array(NamedSchema).nullish(),
  users: z.array(NamedSchema).nullish(),
  contexts: z.array(NamedSchema).nullish(),
  'current-context': z.string().optional(),
  preferences: z.looseObject({}).optional(),
});
export type Kubeconfig = z.infer<typeof KubeconfigSchema>;

export function renderAwsKubeconfig(input: AwsKubeconfigInput): Kubeconfig {
  const name = entryName(input);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: input.apiUrl } }],
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: EXEC_CREDENTIAL_API_VERSION,
            ...tokenCommand(input),
            // npm's update notice would land on kubectl's stderr on every token refresh.
            env: [{ name: 'NPM_CONFIG_UPDATE_NOTIFIER', value: 'false' }, ...(input.profile ? [{ name: 'AWS_PROFILE', value: input.profile }] : [])],
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
  };
}

/** `addition`'s entries replace same-named ones in `existing`, the rest are kept; its context becomes current. */
export function mergeKubeconfig(existing: Kubeconfig, addition: Kubeconfig): Kubeconfig {
  const merge = (a: { name: string }[] | null | undefined, b: { name: string }[] | null | undefined) => {
    const added = b ?? [];
    return [...(a ?? []).filter((e) => !added.some((x) => x.name === e.name)), ...added];
  };
  return {
    ...existing,
    clusters: merge(existing.clusters, addition.clusters),
    users: merge(existing.users, addition.users),
    contexts: merge(existing.contexts, addition.contexts),
    ...(addition['current-context'] ? { 'current-context': addition['current-context'] } : {}),
  };
}

/** Writes (or merges into) `path`, 0600 like every kubeconfig, and returns the YAML written. */
export async function writeAwsKubeconfig(path: string, config: Kubeconfig): Promise<string> {
  let merged = config;
  if (existsSync(path)) {
    const text = await readFile(path, 'utf8');
    const parsed = KubeconfigSchema.safeParse(parse(text) ?? {});
    if (!parsed.success) throw new Error(`${path} is not a kubeconfig; not overwriting it`);
    merged = mergeKubeconfig(parsed.data, config);
  }
  const yaml = stringify(merged);
  await writeFile(path, yaml, { mode: 0o600 });
  await chmod(path, 0o600);
  return yaml;
}

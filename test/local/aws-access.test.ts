import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, type DescribeStacksOutput, type StackStatus } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkIamToken } from '../../functions/apiserver/authn/aws-iam-token-check.ts';
import { mergeKubeconfig, readStackConnection, renderAwsKubeconfig } from '../../local/aws-kubeconfig.ts';
import { printToken, writeKubeconfigForStack } from '../../local/aws-access.ts';
import { ExecCredentialSchema } from '../../local/exec-credential.ts';

const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'secret' };

describe('printToken', () => {
  it('prints an ExecCredential (client.authentication.k8s.io/v1) with the token and its expiry', async () => {
    const out: string[] = [];
    const now = new Date('2026-03-01T12:00:00.123Z');
    await printToken({ cluster: 'prod', region: 'eu-west-1' }, { credentials: CREDENTIALS, now, print: (t) => out.push(t), env: {} });
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('\n')).toBe(true);
    const credential = ExecCredentialSchema.parse(JSON.parse(out[0]!));
    expect(credential).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: {},
      status: { expirationTimestamp: '2026-03-01T12:14:00Z', token: expect.stringMatching(/^k8s-aws-v1\./) },
    });
    const check = checkIamToken(credential.status.token, now);
    expect(check.ok && check.token.host).toBe('sts.eu-west-1.amazonaws.com');
  });

  it('takes the region from AWS_REGION, else signs for the global endpoint', async () => {
    const hostOf = async (env: Record<string, string>) => {
      const out: string[] = [];
      await printToken({ cluster: 'prod' }, { credentials: CREDENTIALS, print: (t) => out.push(t), env });
      const check = checkIamToken(JSON.parse(out[0]!).status.token, new Date());
      return check.ok ? check.token.host : check.reason;
    };
    expect(await hostOf({ AWS_REGION: 'ap-south-1' })).toBe('sts.ap-south-1.amazonaws.com');
    expect(await hostOf({ AWS_DEFAULT_REGION: 'eu-north-1' })).toBe('sts.eu-north-1.amazonaws.com');
    expect(await hostOf({})).toBe('sts.amazonaws.com');
  });
});

describe('the kubeconfig of a deployed stack', () => {
  const cfnMock = mockClient(CloudFormationClient);
  let dir: string;
  const stack = (outputs: Record<string, string>, StackStatus: StackStatus = 'CREATE_COMPLETE'): DescribeStacksOutput => ({
    Stacks: [
      {
        StackName: 'Zeroplane',
        StackStatus,
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });

  beforeEach(async () => {
    cfnMock.reset();
    dir = await mkdtemp(join(tmpdir(), 'zp-aws-kubeconfig-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const client = () => new CloudFormationClient({ region: 'eu-west-1', credentials: CREDENTIALS });

  it('reads ApiUrl and ClusterName with one DescribeStacks of the named stack', async () => {
    cfnMock.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://abc.lambda-url.eu-west-1.on.aws/', ClusterName: 'prod', NodeRoleArn: 'x' }));
    await expect(readStackConnection(client(), 'Zeroplane')).resolves.toEqual({ apiUrl: 'https://abc.lambda-url.eu-west-1.on.aws', clusterName: 'prod' });
    expect(cfnMock.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'Zeroplane' }]);
  });

  it.each([
    ['a stack without the ClusterName output', stack({ ApiUrl: 'https://x' }), 'stack Zeroplane has no ClusterName output'],
    ['a stack still being created', stack({}, 'CREATE_IN_PROGRESS'), 'stack Zeroplane is CREATE_IN_PROGRESS'],
    ['a rolled-back stack', stack({ ApiUrl: 'https://x', ClusterName: 'c' }, 'ROLLBACK_COMPLETE'), 'stack Zeroplane is ROLLBACK_COMPLETE'],
    ['no stack', { Stacks: [] } satisfies DescribeStacksOutput, 'stack Zeroplane not found'],
  ])('refuses %s', async (_, answer, message) => {
    cfnMock.on(DescribeStacksCommand).resolves(answer);
    await expect(readStackConnection(client(), 'Zeroplane')).rejects.toThrow(message);
  });

  it('writes a kubeconfig whose user runs `npx zeroplane token` for the stack cluster and region', async () => {
    cfnMock.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://abc.lambda-url.eu-west-1.on.aws/', ClusterName: 'prod' }));
    const out = join(dir, 'kubeconfig');
    const printed: string[] = [];
    await writeKubeconfigForStack({ stack: 'Zeroplane', output: out, profile: 'ops' }, { cloudFormation: client(), print: (t) => printed.push(t) });
    expect(printed.join('')).toContain(`wrote ${out}`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(parse(await readFile(out, 'utf8'))).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod.eu-west-1', cluster: { server: 'https://abc.lambda-url.eu-west-1.on.aws' } }],
      users: [
        {
          name: 'prod.eu-west-1',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'npx',
              args: ['--no', 'zeroplane', 'token', '--cluster', 'prod', '--region', 'eu-west-1'],
              env: [
                { name: 'NPM_CONFIG_UPDATE_NOTIFIER', value: 'false' },
                { name: 'AWS_PROFILE', value: 'ops' },
              ],
              interactiveMode: 'Never',
              provideClusterInfo: false,
            },
          },
        },
      ],
      contexts: [{ name: 'prod.eu-west-1', context: { cluster: 'prod.eu-west-1', user: 'prod.eu-west-1' } }],
      'current-context': 'prod.eu-west-1',
      preferences: {},
    });
  });

  it('prints the kubeconfig without --output', async () => {
    cfnMock.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://abc.lambda-url.eu-west-1.on.aws/', ClusterName: 'prod' }));
    const printed: string[] = [];
    await writeKubeconfigForStack({ stack: 'Zeroplane', region: 'eu-west-1' }, { cloudFormation: client(), print: (t) => printed.push(t) });
    expect(parse(printed.join(''))['current-context']).toBe('prod.eu-west-1');
  });

  it('merges into an existing kubeconfig, replacing only its own entries', async () => {
    const out = join(dir, 'config');
    const local = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'zeroplane', cluster: { server: 'https://127.0.0.1:6443' } }, { name: 'prod.eu-west-1', cluster: { server: 'https://old' } }],
      users: [{ name: 'admin', user: { token: 't' } }],
      contexts: [{ name: 'zeroplane', context: { cluster: 'zeroplane', user: 'admin' } }],
      'current-context': 'zeroplane',
    };
    await writeFile(out, JSON.stringify(local));
    cfnMock.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://new/', ClusterName: 'prod' }));
    await writeKubeconfigForStack({ stack: 'Zeroplane', output: out }, { cloudFormation: client(), print: () => {} });
    const merged = parse(await readFile(out, 'utf8'));
    expect(merged.clusters).toEqual([
      { name: 'zeroplane', cluster: { server: 'https://127.0.0.1:6443' } },
      { name: 'prod.eu-west-1', cluster: { server: 'https://new' } },
    ]);
    expect(merged.users.map((u: { name: string }) => u.name)).toEqual(['admin', 'prod.eu-west-1']);
    expect(merged['current-context']).toBe('prod.eu-west-1');
  });

  it('refuses to overwrite a file that is not a kubeconfig', async () => {
    const out = join(dir, 'notes.txt');
    await writeFile(out, '- just\n- a list\n');
    cfnMock.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://new/', ClusterName: 'prod' }));
    await expect(writeKubeconfigForStack({ stack: 'Zeroplane', output: out }, { cloudFormation: client(), print: () => {} })).rejects.toThrow('is not a kubeconfig');
    expect(await readFile(out, 'utf8')).toBe('- just\n- a list\n');
  });

  it('merges an empty kubeconfig into just the new entries', () => {
    const added = renderAwsKubeconfig({ apiUrl: 'https://x', clusterName: 'c', region: 'us-east-1' });
    expect(mergeKubeconfig({ apiVersion: 'v1', kind: 'Config' }, added)).toMatchObject({ clusters: added.clusters, users: added.users, contexts: added.contexts, 'current-context': 'c.us-east-1' });
  });
});

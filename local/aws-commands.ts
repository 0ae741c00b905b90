/**
 * `zeroplane token` and `zeroplane kubeconfig`: the commands for a cluster deployed on AWS. Declared here, run by
 * aws-access.ts, which is loaded only when one of them is asked for (so `zeroplane up` does not load the AWS SDK).
 */
import type { Command } from 'commander';

export interface TokenOptions {
  cluster: string;
  region?: string;
}

export interface KubeconfigOptions {
  stack: string;
  region?: string;
  profile?: string;
  output?: string;
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    console.error(`✗ ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

/** Adds `token` and `kubeconfig` to a commander program (local/cli.ts). */
export function addAwsCommands(program: Command): Command {
  program
    .command('token')
    .description("print an ExecCredential holding an AWS IAM token for the cluster (kubectl's exec credential plugin)")
    .requiredOption('--cluster <name>', 'the cluster name (the stack output ClusterName)')
    .option('--region <region>', 'the STS region to sign for (default: $AWS_REGION, else the global endpoint)')
    .action((opts: TokenOptions) =>
      run(async () => {
        const { printToken } = await import('./aws-access.ts');
        await printToken(opts);
      }),
    );
  program
    .command('kubeconfig')
    .description("write a kubeconfig for a deployed stack, from its outputs; its user signs in with your AWS credentials")
    .requiredOption('--stack <name>', 'the CloudFormation stack name')
    .option('--region <region>', 'the stack region (default: the AWS SDK default)')
    .option('--profile <profile>', 'the AWS profile to read the stack and sign tokens with')
    .option('--output <file>', 'write (or merge into) this file instead of printing the kubeconfig')
    .action((opts: KubeconfigOptions) =>
      run(async () => {
        const { writeKubeconfigForStack } = await import('./aws-access.ts');
        await writeKubeconfigForStack(opts);
      }),
    );
  return program;
}

/**
 * Builds the Zeroplane stack for assertion tests without bundling: each function gets a one-line inline asset
 * and the agent a temporary directory, so a synth takes seconds (local-stack.md §3).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LAMBDA_FUNCTIONS, type LambdaName } from '../../cdk/lambda-functions.ts';
import { ZeroplaneStack, type ZeroplaneProps } from '../../cdk/zeroplane-stack.ts';

export const TEST_REGION = 'eu-west-1';

let agentDir: string | undefined;

function fakeAgentDir(): string {
  if (!agentDir) {
    agentDir = mkdtempSync(join(tmpdir(), 'zp-agent-'));
    writeFileSync(join(agentDir, 'index.mjs'), 'export {};\n');
  }
  return agentDir;
}

export function inlineCode(): Record<LambdaName, lambda.Code> {
  const code = {} as Record<LambdaName, lambda.Code>;
  for (const name of Object.keys(LAMBDA_FUNCTIONS) as LambdaName[]) {
    code[name] = lambda.Code.fromInline('export const handler = async () => ({});');
  }
  return code;
}

export function buildStack(props: Partial<ZeroplaneProps> = {}): { app: App; stack: ZeroplaneStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ZeroplaneStack(app, 'Zeroplane', {
    env: { region: TEST_REGION },
    lambdaCode: inlineCode(),
    nodeAgentPath: fakeAgentDir(),
    ...props,
  });
  return { app, stack };
}

export function synthTemplate(props: Partial<ZeroplaneProps> = {}): { stack: ZeroplaneStack; template: Template } {
  const { stack } = buildStack(props);
  return { stack, template: Template.fromStack(stack) };
}

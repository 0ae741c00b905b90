import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAll, DIST_DIR, lambdaAssetDir, nodeAgentAssetDir, REPO_ROOT, type BundleResult } from '../../cdk/bundle.ts';
import { LAMBDA_FUNCTIONS, NODE_AGENT_ENTRY, type LambdaName } from '../../cdk/lambda-functions.ts';

// Under the repository, so that the bundles' external @aws-sdk/* imports resolve from node_modules as they
// resolve from the runtime in Lambda.
mkdirSync(DIST_DIR, { recursive: true });
const distDir = mkdtempSync(join(DIST_DIR, '.test-'));
let result: BundleResult;

beforeAll(async () => {
  result = await bundleAll(distDir);
});

afterAll(async () => {
  await rm(distDir, { recursive: true, force: true });
});

describe('bundleAll', () => {
  it('bundles every entry that exists and names the ones that do not', () => {
    const names = Object.keys(LAMBDA_FUNCTIONS) as LambdaName[];
    const exists = (entry: string) => existsSync(join(REPO_ROOT, entry));
    expect(result.lambdas).toEqual(names.filter((n) => exists(LAMBDA_FUNCTIONS[n].entry)));
    expect(result.missing).toEqual([
      ...names.filter((n) => !exists(LAMBDA_FUNCTIONS[n].entry)).map((n) => LAMBDA_FUNCTIONS[n].entry),
      ...(exists(NODE_AGENT_ENTRY) ? [] : [NODE_AGENT_ENTRY]),
    ]);
    expect(result.nodeAgent).toBe(exists(NODE_AGENT_ENTRY));
  });

  it('writes one minified ESM file with a source map per function, leaving the AWS SDK to the runtime', () => {
    expect(result.lambdas).toContain('apiserver');
    for (const name of result.lambdas) {
      const file = join(lambdaAssetDir(name, distDir), 'index.mjs');
      const code = readFileSync(file, 'utf8');
      expect(existsSync(`${file}.map`)).toBe(true);
      expect(code.startsWith("import { createRequire as __zpCreateRequire } from 'node:module';")).toBe(true);
      // Minified: long lines (the few line breaks left are inside template literals).
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
      // toBe rather than toMatch: a failure would otherwise print the whole bundle.
      expect(/from\s*"@aws-sdk\/client-[a-z-]+"/.test(code)).toBe(true);
      expect(code.includes('class DynamoDBClient')).toBe(false);
    }
  });

  it.each(['apiserver', 'dispatch'] as const)('loads the %s bundle in a plain Node, which exports handler', (name) => {
    // A separate Node, as Lambda would load it (vitest's own loader would transform the bundle).
    const file = pathToFileURL(join(lambdaAssetDir(name, distDir), 'index.mjs')).href;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(m)))`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, TABLE_PREFIX: 'zp' },
    });
    expect(JSON.parse(out)).toContain('handler');
  });

  it('bundles the node agent with its dependencies when its entry exists', () => {
    const file = join(nodeAgentAssetDir(distDir), 'index.mjs');
    expect(existsSync(file)).toBe(result.nodeAgent);
  });

  it('gives the nodes an agent bundle that runs by itself, as their systemd unit starts it', () => {
    const file = join(nodeAgentAssetDir(distDir), 'index.mjs');
    const usage = execFileSync(process.execPath, [file, '--help'], { encoding: 'utf8', cwd: distDir });
    expect(usage).toMatch(/^Usage: zeroplane agent \[options\]/);
    expect(usage).toContain('ZEROPLANE_API_URL');
    expect(usage).toContain('ZEROPLANE_POD_SYNC');
  });
});

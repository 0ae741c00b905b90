/**
 * Bundles every Lambda entry in ONE esbuild call (local-stack.md §3: a NodejsFunction per handler costs ≈ 1 s of
 * `npx esbuild` each at synth; one call for all takes milliseconds) into dist/lambda/<name>/index.mjs, and the node
 * agent into dist/node-agent/index.mjs. The stack then uses plain `Code.fromAsset(dist/lambda/<name>)`.
 *
 *   npx tsx cdk/bundle.ts          (cdk/app.ts also calls bundleAll() before it synthesizes)
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { LAMBDA_FUNCTIONS, NODE_AGENT_ENTRY, type LambdaName } from './lambda-functions.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DIST_DIR = join(REPO_ROOT, 'dist');

/** Where `name`'s bundle lands; the directory is the Lambda asset. */
export function lambdaAssetDir(name: LambdaName, distDir = DIST_DIR): string {
  return join(distDir, 'lambda', name);
}

export function nodeAgentAssetDir(distDir = DIST_DIR): string {
  return join(distDir, 'node-agent');
}

// ESM output of CommonJS dependencies (pino, middy's internals) still calls `require` for Node built-ins.
const REQUIRE_SHIM = "import { createRequire as __zpCreateRequire } from 'node:module'; const require = __zpCreateRequire(import.meta.url);";

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: true,
  outExtension: { '.js': '.mjs' },
  banner: { js: REQUIRE_SHIM },
  logLevel: 'warning',
};

export interface BundleResult {
  /** Bundled Lambda names, each in dist/lambda/<name>/index.mjs. */
  lambdas: LambdaName[];
  nodeAgent: boolean;
  /** Entries listed in lambda-functions.ts whose file does not exist (yet). */
  missing: string[];
  millis: number;
}

/** Bundles every existing entry; reports missing ones instead of failing, so callers decide. */
export async function bundleAll(distDir = DIST_DIR): Promise<BundleResult> {
  const started = performance.now();
  const present = (Object.entries(LAMBDA_FUNCTIONS) as [LambdaName, { entry: string }][]).filter(([, spec]) =>
    existsSync(join(REPO_ROOT, spec.entry)),
  );
  const missing: string[] = Object.values(LAMBDA_FUNCTIONS)
    .map((s) => s.entry)
    .filter((entry) => !existsSync(join(REPO_ROOT, entry)));
  const agentPresent = existsSync(join(REPO_ROOT, NODE_AGENT_ENTRY));
  if (!agentPresent) missing.push(NODE_AGENT_ENTRY);

  await rm(join(distDir, 'lambda'), { recursive: true, force: true });
  await rm(nodeAgentAssetDir(distDir), { recursive: true, force: true });
  const builds: Promise<unknown>[] = [];
  if (present.length > 0) {
    builds.push(
      build({
        ...COMMON,
        absWorkingDir: REPO_ROOT,
        // `<name>/index` keys put each function in its own directory, i.e. its own asset.
        entryPoints: Object.fromEntries(present.map(([name, spec]) => [`${name}/index`, spec.entry])),
        outdir: join(distDir, 'lambda'),
        // The Node 22 Lambda runtime ships AWS SDK v3; bundling it would only add cold-start time.
        external: ['@aws-sdk/*'],
      }),
    );
  }
  if (agentPresent) {
    builds.push(
      build({
        ...COMMON,
        absWorkingDir: REPO_ROOT,
        entryPoints: { index: NODE_AGENT_ENTRY },
        outdir: nodeAgentAssetDir(distDir),
        // dockerode's ssh:// transport needs ssh2 and its native addons; the agent uses the Unix socket only.
        alias: { ssh2: './cdk/stubs/ssh2.cjs' },
      }),
    );
  }
  await Promise.all(builds);
  return { lambdas: present.map(([name]) => name), nodeAgent: agentPresent, missing, millis: performance.now() - started };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await bundleAll();
  console.log(`bundled ${result.lambdas.join(', ') || 'no functions'}${result.nodeAgent ? ' and the node agent' : ''} in ${result.millis.toFixed(0)} ms`);
  if (result.missing.length > 0) {
    console.error(`missing entries (not bundled): ${result.missing.join(', ')}`);
    process.exitCode = 1;
  }
}

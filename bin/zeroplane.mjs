#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the same sources serve Lambda bundles, tests and the CLI.
import { register } from 'tsx/esm/api';
register();
await import('../local/cli.ts');

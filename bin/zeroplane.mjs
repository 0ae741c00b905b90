#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the same sources serve Lambda bundles, tests and the CLI.
import { register } from 'tsx/esm/api';

// The SQS emulator loads node:sqlite, whose ExperimentalWarning would otherwise be the first line users see.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String(warning?.message ?? warning).includes('SQLite is an experimental feature')) return;
  return emitWarning.call(process, warning, ...rest);
};

register();
await import('../local/cli.ts');

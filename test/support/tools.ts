// The tests use the same kubectl/helm unpacking and subprocess runner as `zeroplane tools`.
export * from '../../local/tools.ts';

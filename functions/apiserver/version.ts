/**
 * `GET /version`: the first request helm makes and what `kubectl version` prints. The minor version is what
 * clients compare against their own skew policy, so it tracks the kubectl we test with (1.35).
 */
import { jsonResponse, type ApiRequest, type ApiResponse } from './http.ts';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export const VERSION_INFO: VersionInfo = {
  major: '1',
  minor: '35',
  gitVersion: 'v1.35.0-zeroplane',
  // Not a git build of Kubernetes: a fixed placeholder keeps the document deterministic.
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  // There is no Go toolchain; clients only print these two.
  goVersion: `node${process.versions.node}`,
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Answers GET /version; undefined for any other request. */
export function versionResponse(req: ApiRequest): ApiResponse | undefined {
  if (req.method !== 'GET' || req.path.replace(/\/$/, '') !== '/version') return undefined;
  return jsonResponse(200, VERSION_INFO);
}

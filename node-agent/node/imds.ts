/**
 * EC2 instance metadata through IMDSv2 (a session token from PUT /latest/api/token, then GETs carrying it), read
 * once at start for the Node's providerID, instance-type and zone labels and addresses. Never consulted unless
 * asked for (`--imds` / ZEROPLANE_IMDS): off EC2 the link-local address must not see our traffic, and every
 * request has a short timeout so a missing endpoint costs at most a second.
 */

/** The real endpoint; only ever used when the operator says the agent runs on EC2. */
export const EC2_IMDS_URL = 'http://169.254.169.254';

export interface InstanceMetadata {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  region: string;
  localIpv4?: string;
  localHostname?: string;
}

export interface ImdsOptions {
  /** Base URL (`http://169.254.169.254`, or a local test server). */
  baseUrl: string;
  /** Per request. Default 1000 ms. */
  timeoutMs?: number;
}

async function fetchText(url: string, init: RequestInit, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`IMDS ${init.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${res.status}`);
  return text.trim();
}

/** The instance's metadata, or undefined when IMDS does not answer (not on EC2, hop limit, timeout). */
export async function readInstanceMetadata(options: ImdsOptions): Promise<InstanceMetadata | undefined> {
  const base = options.baseUrl.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 1000;
  try {
    const token = await fetchText(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '300' } }, timeoutMs);
    const get = (path: string) => fetchText(`${base}/latest/meta-data/${path}`, { headers: { 'x-aws-ec2-metadata-token': token } }, timeoutMs);
    const optional = (path: string) => get(path).catch(() => undefined);
    const [instanceId, instanceType, availabilityZone, localIpv4, localHostname] = await Promise.all([
      get('instance-id'),
      get('instance-type'),
      get('placement/availability-zone'),
      optional('local-ipv4'),
      optional('local-hostname'),
    ]);
    const region = (await optional('placement/region')) ?? availabilityZone.replace(/[a-z]$/, '');
    const md: InstanceMetadata = { instanceId, instanceType, availabilityZone, region };
    if (localIpv4) md.localIpv4 = localIpv4;
    if (localHostname) md.localHostname = localHostname;
    return md;
  } catch {
    return undefined;
  }
}

/** The cloud provider's id for the node, as the AWS cloud provider writes it: `aws:///<zone>/<instance-id>`. */
export function awsProviderId(md: InstanceMetadata): string {
  return `aws:///${md.availabilityZone}/${md.instanceId}`;
}

/** Where IMDS is to be read from, if at all: the flag wins, then ZEROPLANE_IMDS (`true`/`1` → EC2, or a URL). */
export function imdsUrlFrom(flag: string | boolean | undefined, env: string | undefined): string | undefined {
  const pick = (v: string | boolean | undefined): string | undefined => {
    if (v === undefined || v === false || v === '' || v === '0' || v === 'false') return undefined;
    if (v === true || v === 'true' || v === '1') return EC2_IMDS_URL;
    return v;
  };
  return pick(flag) ?? pick(env);
}

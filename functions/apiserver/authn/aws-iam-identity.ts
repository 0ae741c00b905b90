/**
 * Who an AWS caller is in the cluster (aws-iam-authenticator's mapper, reduced to what Zeroplane needs):
 * - the worker node role's sessions, `arn:aws:sts::ACCT:assumed-role/<NodeRole>/<instance-id>` → the node
 *   `system:node:<instance-id>` (groups system:nodes, system:authenticated), one identity per instance;
 * - the configured mappings, first match wins: the admin ARNs (username = the caller's ARN, so an assumed
 *   role's session name shows in the audit log; group system:masters), then explicit ARN → username/groups;
 * - anyone else is nobody (401).
 * A role matches all of its sessions; role ARNs are compared without their path because STS drops the path from
 * `assumed-role` ARNs (a configured `role/team/Admin` is the caller `assumed-role/Admin/...`). Pure.
 */
import { z } from 'zod';
import { AUTHENTICATED_GROUP, MASTERS_GROUP, nodeUser, type UserInfo } from '../authz/attributes.ts';

export const IamMappingSchema = z.object({
  /** An IAM user, role (all its sessions), account root or one exact assumed-role session. */
  arn: z.string().min(1),
  /** May use {{AccountID}}, {{SessionName}} and {{AccessKeyID}}. */
  username: z.string().min(1),
  groups: z.array(z.string().min(1)).default([]),
});
export type IamMapping = z.infer<typeof IamMappingSchema>;

export const IamIdentityConfigSchema = z.object({
  /** The worker nodes' instance role (NODE_ROLE_ARN). */
  nodeRoleArn: z.string().min(1).optional(),
  /** Callers that are cluster administrators (system:masters). */
  adminArns: z.array(z.string().min(1)).default([]),
  mappings: z.array(IamMappingSchema).default([]),
});
export type IamIdentityConfig = z.input<typeof IamIdentityConfigSchema>;

/** What sts:GetCallerIdentity answers. */
export const CallerIdentitySchema = z.object({
  Arn: z.string().min(1),
  Account: z.string().regex(/^\d{12}$/),
  UserId: z.string().min(1),
});
export type CallerIdentity = z.infer<typeof CallerIdentitySchema>;

export type IdentityMapping = { ok: true; user: UserInfo } | { ok: false; reason: string };

interface ParsedArn {
  partition: string;
  account: string;
  /** The ARN a configuration names this principal by (a role for an assumed-role session). */
  canonical: string;
  sessionName?: string;
}

/** EC2 names the instance role's session after the instance. */
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export function parseIamArn(arn: string): ParsedArn | undefined {
  const m = /^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return undefined;
  const [, partition, service, account, resource] = m as unknown as [string, string, string, string, string];
  const iam = `arn:${partition}:iam::${account}:`;
  if (service === 'sts') {
    const session = /^assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(resource);
    if (session) return { partition, account, canonical: `${iam}role/${session[1]}`, sessionName: session[2] };
    if (/^federated-user\/[\w+=,.@-]+$/.test(resource)) return { partition, account, canonical: arn };
    return undefined;
  }
  if (resource === 'root') return { partition, account, canonical: arn };
  const role = /^role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]+)$/.exec(resource);
  if (role) return { partition, account, canonical: `${iam}role/${role[1]}` };
  if (/^user\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]+$/.test(resource)) return { partition, account, canonical: arn };
  return undefined;
}

/** Whether a configured ARN names the caller: a role matches its sessions, a session ARN only itself. */
function matches(configured: string, callerArn: string, caller: ParsedArn): boolean {
  if (configured === callerArn) return true;
  const parsed = parseIamArn(configured);
  if (!parsed || parsed.sessionName !== undefined) return false;
  return parsed.canonical === caller.canonical;
}

function expand(template: string, caller: ParsedArn, accessKeyId: string | undefined): string | undefined {
  let unresolved = false;
  const out = template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = name === 'AccountID' ? caller.account : name === 'SessionName' ? caller.sessionName : name === 'AccessKeyID' ? accessKeyId : undefined;
    if (value === undefined) unresolved = true;
    return value ?? whole;
  });
  return unresolved ? undefined : out;
}

/** The user an STS caller identity stands for in this cluster. */
export function userOfCaller(caller: CallerIdentity, config: IamIdentityConfig, accessKeyId?: string): IdentityMapping {
  const { nodeRoleArn, adminArns, mappings } = IamIdentityConfigSchema.parse(config);
  const parsed = parseIamArn(caller.Arn);
  if (!parsed) return { ok: false, reason: `unrecognised ARN ${caller.Arn}` };
  if (parsed.account !== caller.Account) return { ok: false, reason: `ARN ${caller.Arn} is not in account ${caller.Account}` };
  const extra: Record<string, string[]> = {
    arn: [caller.Arn],
    canonicalArn: [parsed.canonical],
    principalId: [caller.UserId],
    ...(parsed.sessionName !== undefined ? { sessionName: [parsed.sessionName] } : {}),
    ...(accessKeyId !== undefined ? { accessKeyId: [accessKeyId] } : {}),
  };
  const identity = { uid: `aws-iam-authenticator:${caller.Account}:${caller.UserId}`, extra };

  if (nodeRoleArn !== undefined && parsed.sessionName !== undefined && matches(nodeRoleArn, caller.Arn, parsed)) {
    if (!INSTANCE_ID.test(parsed.sessionName)) return { ok: false, reason: `node role session ${parsed.sessionName} is not an instance id` };
    return { ok: true, user: { ...nodeUser(parsed.sessionName), ...identity } };
  }

  const all: IamMapping[] = [...adminArns.map((arn) => ({ arn, username: caller.Arn, groups: [MASTERS_GROUP] })), ...mappings];
  const mapping = all.find((m) => matches(m.arn, caller.Arn, parsed));
  if (!mapping) return { ok: false, reason: `ARN ${caller.Arn} is not mapped to a user` };
  const username = expand(mapping.username, parsed, accessKeyId);
  if (username === undefined) return { ok: false, reason: `username template ${mapping.username} does not apply to ${caller.Arn}` };
  const groups = [...new Set([...mapping.groups, AUTHENTICATED_GROUP])];
  return { ok: true, user: { username, groups, ...identity } };
}

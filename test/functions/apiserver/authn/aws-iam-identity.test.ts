import { describe, expect, it } from 'vitest';
import { parseIamArn, userOfCaller, type IamIdentityConfig } from '../../../../functions/apiserver/authn/aws-iam-identity.ts';

const ACCT = '123456789012';
const config: IamIdentityConfig = {
  nodeRoleArn: `arn:aws:iam::${ACCT}:role/prod-NodeRole-ABC`,
  adminArns: [`arn:aws:iam::${ACCT}:user/alice`, `arn:aws:iam::${ACCT}:role/ops/Admin`, `arn:aws:sts::${ACCT}:assumed-role/Break/glass`],
  mappings: [
    { arn: `arn:aws:iam::${ACCT}:role/Dev`, username: 'dev:{{SessionName}}', groups: ['developers'] },
    { arn: `arn:aws:iam::${ACCT}:user/ci`, username: 'ci-{{AccountID}}', groups: [] },
    { arn: `arn:aws:iam::${ACCT}:user/bad`, username: '{{SessionName}}', groups: [] },
  ],
};
const caller = (Arn: string, Account = ACCT) => ({ Arn, Account, UserId: 'AROAEXAMPLE:x' });

describe('userOfCaller', () => {
  it.each([
    ['a node role session', `arn:aws:sts::${ACCT}:assumed-role/prod-NodeRole-ABC/i-0123456789abcdef0`, 'system:node:i-0123456789abcdef0', ['system:nodes', 'system:authenticated']],
    ['a node role session with a short instance id', `arn:aws:sts::${ACCT}:assumed-role/prod-NodeRole-ABC/i-0123abcd`, 'system:node:i-0123abcd', ['system:nodes', 'system:authenticated']],
    ['an admin IAM user', `arn:aws:iam::${ACCT}:user/alice`, `arn:aws:iam::${ACCT}:user/alice`, ['system:masters', 'system:authenticated']],
    ['a session of an admin role configured with a path', `arn:aws:sts::${ACCT}:assumed-role/Admin/bob@example.com`, `arn:aws:sts::${ACCT}:assumed-role/Admin/bob@example.com`, ['system:masters', 'system:authenticated']],
    ['the one admin session configured exactly', `arn:aws:sts::${ACCT}:assumed-role/Break/glass`, `arn:aws:sts::${ACCT}:assumed-role/Break/glass`, ['system:masters', 'system:authenticated']],
    ['a mapped role session (SessionName template)', `arn:aws:sts::${ACCT}:assumed-role/Dev/carol`, 'dev:carol', ['developers', 'system:authenticated']],
    ['a mapped user (AccountID template)', `arn:aws:iam::${ACCT}:user/ci`, `ci-${ACCT}`, ['system:authenticated']],
  ])('maps %s', (_, arn, username, groups) => {
    const mapped = userOfCaller(caller(arn), config, 'AKIAEXAMPLE');
    expect(mapped.ok).toBe(true);
    if (mapped.ok) {
      expect(mapped.user.username).toBe(username);
      expect(mapped.user.groups).toEqual(groups);
      expect(mapped.user.uid).toBe(`aws-iam-authenticator:${ACCT}:AROAEXAMPLE:x`);
      expect(mapped.user.extra?.arn).toEqual([arn]);
      expect(mapped.user.extra?.accessKeyId).toEqual(['AKIAEXAMPLE']);
    }
  });

  it.each([
    ['an unmapped user', `arn:aws:iam::${ACCT}:user/mallory`, ACCT, 'is not mapped'],
    ['another session of a role only one session of which is admin', `arn:aws:sts::${ACCT}:assumed-role/Break/other`, ACCT, 'is not mapped'],
    ['the node role name in another account', `arn:aws:sts::999999999999:assumed-role/prod-NodeRole-ABC/i-0123456789abcdef0`, '999999999999', 'is not mapped'],
    ['a node role session not named after an instance', `arn:aws:sts::${ACCT}:assumed-role/prod-NodeRole-ABC/someone`, ACCT, 'is not an instance id'],
    ['an admin user name in another partition', `arn:aws-cn:iam::${ACCT}:user/alice`, ACCT, 'is not mapped'],
    ['a role named like a mapped user', `arn:aws:sts::${ACCT}:assumed-role/alice/s`, ACCT, 'is not mapped'],
    ['a SessionName template for a caller without a session', `arn:aws:iam::${ACCT}:user/bad`, ACCT, 'does not apply'],
    ['an ARN whose account differs from the answer', `arn:aws:iam::${ACCT}:user/alice`, '111111111111', 'is not in account'],
    ['something that is not an IAM ARN', 'arn:aws:s3:::bucket', ACCT, 'unrecognised ARN'],
  ])('refuses %s', (_, arn, account, reason) => {
    const mapped = userOfCaller(caller(arn, account), config);
    expect(mapped.ok).toBe(false);
    if (!mapped.ok) expect(mapped.reason).toContain(reason);
  });

  it('refuses everyone but admins when no node role is configured', () => {
    const mapped = userOfCaller(caller(`arn:aws:sts::${ACCT}:assumed-role/prod-NodeRole-ABC/i-0123456789abcdef0`), { adminArns: [] });
    expect(mapped.ok).toBe(false);
  });

  it('lets the first mapping win and always adds system:authenticated once', () => {
    const mapped = userOfCaller(caller(`arn:aws:iam::${ACCT}:user/x`), {
      mappings: [
        { arn: `arn:aws:iam::${ACCT}:user/x`, username: 'first', groups: ['system:authenticated', 'a'] },
        { arn: `arn:aws:iam::${ACCT}:user/x`, username: 'second', groups: [] },
      ],
    });
    expect(mapped).toMatchObject({ ok: true, user: { username: 'first', groups: ['system:authenticated', 'a'] } });
  });
});

describe('parseIamArn', () => {
  it.each([
    [`arn:aws:sts::${ACCT}:assumed-role/R/s`, `arn:aws:iam::${ACCT}:role/R`, 's'],
    [`arn:aws:iam::${ACCT}:role/a/b/R`, `arn:aws:iam::${ACCT}:role/R`, undefined],
    [`arn:aws:iam::${ACCT}:user/team/u`, `arn:aws:iam::${ACCT}:user/team/u`, undefined],
    [`arn:aws:iam::${ACCT}:root`, `arn:aws:iam::${ACCT}:root`, undefined],
    [`arn:aws-us-gov:sts::${ACCT}:federated-user/f`, `arn:aws-us-gov:sts::${ACCT}:federated-user/f`, undefined],
  ])('reads %s', (arn, canonical, sessionName) => {
    const parsed = parseIamArn(arn);
    expect(parsed?.canonical).toBe(canonical);
    expect(parsed?.sessionName).toBe(sessionName);
  });

  it.each(['arn:aws:iam::12345:user/u', 'arn:aws:sts::123456789012:assumed-role/R', 'arn:aws:iam::123456789012:group/g', 'not-an-arn'])('refuses %s', (arn) => {
    expect(parseIamArn(arn)).toBeUndefined();
  });
});

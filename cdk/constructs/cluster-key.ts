/**
 * The cluster's customer-managed KMS key. It encrypts the state tables (and with them their stream) and is the key
 * the API uses to envelope-encrypt Secret data before it reaches the store. One key rather than two: a key costs
 * $1 a month, the whole idle cluster aims at about that, and both uses protect the same data (the cluster state).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

/**
 * What the account (and through it, IAM policies) may do with the key: the default policy's `kms:*` spelled out,
 * so that no statement in the stack allows a wildcard action. PutKeyPolicy keeps the key manageable (KMS refuses a
 * policy that would lock the account out).
 */
const ACCOUNT_KEY_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

export interface ClusterKeyProps {
  clusterName: string;
  /** Default RETAIN: deleting the stack must not make the point-in-time backups unreadable. */
  removalPolicy?: RemovalPolicy;
}

export class ClusterKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ClusterKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Zeroplane ${props.clusterName}: cluster state and Secrets at rest`,
      enableKeyRotation: true,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersAndDelegatesToIam',
            principals: [new iam.AccountRootPrincipal()],
            actions: ACCOUNT_KEY_ACTIONS,
            resources: ['*'],
          }),
        ],
      }),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Envelope encryption of Secret data by the API (a data key per Secret, decrypted on read). */
  grantSecretsEncryption(fn: ZeroplaneFunction): void {
    fn.allow(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], [this.key.keyArn]);
    fn.function.addEnvironment('SECRETS_KMS_KEY_ARN', this.key.keyArn);
  }
}

/**
 * The key that signs ServiceAccount tokens (`kubectl create token`, TokenRequest) and local node credentials: a
 * generated 64-character secret in Secrets Manager, read once per API cold start (TOKEN_SIGNING_SECRET_ARN).
 * Secrets Manager rather than a second KMS key: $0.40 a month against $1, and the API needs the raw bytes for
 * HS256, which a KMS key would not give it.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface TokenSigningSecretProps {
  clusterName: string;
}

export class TokenSigningSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: TokenSigningSecretProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `Zeroplane ${props.clusterName}: signing key of ServiceAccount tokens`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the signing key would invalidate every issued ServiceAccount token at once; tokens are short-lived (TokenRequest expiry) and the key never leaves the API function.',
    });
  }

  /** The API signs and verifies tokens with the secret. */
  grantSigning(fn: ZeroplaneFunction): void {
    fn.allow(['secretsmanager:GetSecretValue'], [this.secret.secretArn]);
    fn.function.addEnvironment('TOKEN_SIGNING_SECRET_ARN', this.secret.secretArn);
  }
}

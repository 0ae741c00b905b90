/**
 * One Zeroplane Lambda: Node 22 on arm64 (cheaper per GB-second than x86), its own log group with a retention, and
 * its own role that starts with nothing but writing to that log group. Every other permission is granted by the
 * construct that wires the function to a table, queue or key, so a role lists exactly what its wirings need.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../lambda-functions.ts';

export interface ZeroplaneFunctionProps {
  spec: LambdaFunctionSpec;
  /** The bundle: `Code.fromAsset(dist/lambda/<name>)` in the app, a tiny inline asset in tests. */
  code: lambda.Code;
  environment?: Record<string, string>;
  /** Default one month. */
  logRetention?: logs.RetentionDays;
}

export class ZeroplaneFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ZeroplaneFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role: the default one attaches the AWSLambdaBasicExecutionRole managed policy, whose
    // logs:CreateLogGroup/PutLogEvents apply to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: ${props.spec.description}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: props.spec.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      memorySize: props.spec.memorySizeMiB,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        // The bundles ship source maps; stack traces in the logs then name our .ts files and lines.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the project targets and tests (package.json engines, local-stack.md §6).',
    });
  }

  /** Adds one least-privilege statement: explicit actions on explicit resources. */
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
  }
}

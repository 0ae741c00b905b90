import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_CIDR } from '../../functions/apiserver/core.ts';
import { DISPATCH_FILTER_CRITERIA } from '../../functions/dispatch/filter-criteria.ts';
import { deadLetterQueueName, QUEUES, queueName, TABLES, tableNames, type QueueId } from '../../shared/resources.ts';
import { queueUrlVariable } from '../../cdk/constructs/controller-queues.ts';
import { LAMBDA_FUNCTIONS, QUEUE_CONSUMERS } from '../../cdk/lambda-functions.ts';
import { EC2_DESCRIBE_ACTIONS, ELB_DESCRIBE_ACTIONS } from '../../cdk/constructs/cloud-controllers.ts';
import { ZEROPLANE_DEFAULTS, type ZeroplaneStack } from '../../cdk/zeroplane-stack.ts';
import { buildStack, synthTemplate, TEST_REGION } from './stack-fixture.ts';

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };
type Resource = { Type: string; Properties: Record<string, unknown> };

let stack: ZeroplaneStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTemplate());
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const getAtt = (construct: { node: { defaultChild?: unknown } }, attribute: string) => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Every Allow statement of every policy document in the template: IAM policies, roles, key and queue policies. */
function allowStatements(t: Template): { resource: string; statement: Statement }[] {
  const found: { resource: string; statement: Statement }[] = [];
  const docs = (id: string, r: Resource): unknown[] => {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::SQS::QueuePolicy') return [p.PolicyDocument];
    if (r.Type === 'AWS::KMS::Key') return [p.KeyPolicy];
    if (r.Type === 'AWS::IAM::Role') return [p.AssumeRolePolicyDocument, ...((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument)];
    void id;
    return [];
  };
  for (const [id, r] of Object.entries(t.toJSON().Resources as Record<string, Resource>)) {
    for (const doc of docs(id, r)) {
      for (const statement of ((doc as { Statement?: Statement[] } | undefined)?.Statement ?? [])) {
        if (statement.Effect === 'Allow') found.push({ resource: id, statement });
      }
    }
  }
  return found;
}

function policyStatementsOf(t: Template, roleLogicalId: string): Statement[] {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p) => (p as Resource).Properties.PolicyDocument as { Statement: Statement[] }).flatMap((d) => d.Statement);
}

const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => asArray(s.Action));

describe('Class: ZeroplaneStack', () => {
  describe('StateTables', () => {
    it('creates each table of shared/resources.ts on demand, with PITR and the cluster key', () => {
      const names = tableNames(ZEROPLANE_DEFAULTS.clusterName);
      for (const def of Object.values(TABLES)) {
        template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
          TableName: names[def.id],
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
          ],
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
          Replicas: [
            Match.objectLike({
              Region: TEST_REGION,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              SSESpecification: { KMSMasterKeyId: getAtt(stack.clusterKey.key, 'Arn') },
            }),
          ],
        });
      }
      template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
    });

    it('streams new and old images of the objects table and indexes pods by node', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: tableNames('zeroplane').objects,
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        GlobalSecondaryIndexes: [Match.objectLike({ IndexName: TABLES.objects.globalSecondaryIndexes[0].indexName, Projection: { ProjectionType: 'ALL' } })],
      });
    });

    it('expires change log entries through the TTL attribute and gives that table no stream', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: tableNames('zeroplane').changelog,
        TimeToLiveSpecification: { AttributeName: TABLES.changelog.timeToLiveAttribute, Enabled: true },
        StreamSpecification: Match.absent(),
      });
    });

    it('rotates the cluster key and keeps it when the stack goes', () => {
      template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    });
  });

  describe('ControllerQueues', () => {
    it.each(Object.values(QUEUES).map((q) => [q.id, q] as const))('makes the %s queue FIFO with a FIFO dead-letter queue', (id, def) => {
      const dlq = stack.queues.deadLetterQueues[id];
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: queueName('zeroplane', id),
        FifoQueue: true,
        VisibilityTimeout: def.visibilityTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlq, 'Arn'), maxReceiveCount: def.maxReceiveCount },
        SqsManagedSseEnabled: true,
      });
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: deadLetterQueueName('zeroplane', id), FifoQueue: true });
    });

    it.each(Object.keys(QUEUES) as QueueId[])('alarms as soon as a message reaches the %s dead-letter queue', (id) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.queues.deadLetterQueues[id], 'QueueName') }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it.each(Object.keys(QUEUES) as QueueId[])('feeds the %s queue to its consumer with per-message failures', (id) => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(stack.queues.queues[id], 'Arn'),
        FunctionName: { Ref: logicalId(stack.functions[QUEUE_CONSUMERS[id]].function) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });

    it('gives the dispatch function every queue URL under the names it reads', () => {
      const variables = Object.fromEntries((Object.keys(QUEUES) as QueueId[]).map((id) => [queueUrlVariable(id), { Ref: logicalId(stack.queues.queues[id]) }]));
      expect(Object.keys(variables)).toEqual(['SCHEDULER_QUEUE_URL', 'CONTROLLERS_QUEUE_URL', 'CLOUD_QUEUE_URL']);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: LAMBDA_FUNCTIONS.dispatch.description,
        Environment: { Variables: Match.objectLike(variables) },
      });
    });

    it('refuses a consumer whose timeout exceeds its queue visibility timeout', () => {
      expect(() =>
        buildStack({ functionOverrides: { controllers: { timeoutSeconds: QUEUES.scheduler.visibilityTimeoutSeconds + 1 } } }),
      ).toThrow(/visibility timeout/);
    });
  });

  describe('StreamDispatch', () => {
    it('maps the objects stream to dispatch with the shared filter, bisecting, bounded retries and per-record failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(stack.tables.tables.objects, 'StreamArn'),
        FunctionName: { Ref: logicalId(stack.functions.dispatch.function) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: {
          Filters: [
            { Pattern: Match.serializedJson({ dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events', 'events.k8s.io/events', 'coordination.k8s.io/leases'] }] } } } }) },
            { Pattern: Match.serializedJson({ eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { pk: { S: ['coordination.k8s.io/leases'] } } } }) },
          ],
        },
        DestinationConfig: { OnFailure: { Destination: getAtt(stack.dispatch.onFailureQueue, 'Arn') } },
      });
    });

    it('emits the filter pattern exactly as functions/dispatch/filter-criteria.ts defines it', () => {
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FilterCriteria: Match.anyValue() } });
      expect(Object.values(mappings).map((m) => (m as Resource).Properties.FilterCriteria)).toEqual([DISPATCH_FILTER_CRITERIA]);
    });

    it('alarms on the on-failure queue, so a set-aside record is seen', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.dispatch.onFailureQueue, 'QueueName') }],
        Threshold: 1,
      });
    });
  });

  describe('ApiFront', () => {
    it('serves the API function through a streaming function URL that leaves authentication to the API', () => {
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
        TargetFunctionArn: getAtt(stack.functions.apiserver.function, 'Arn'),
      });
    });

    it('lets anyone reach the URL (the API authenticates), and only through the URL', () => {
      const target = getAtt(stack.functions.apiserver.function, 'Arn');
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: target,
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: target,
        InvokedViaFunctionUrl: true,
        Principal: '*',
      });
    });

    it('ends watches a minute before the function times out and passes the cluster settings', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: 900,
        Environment: {
          Variables: Match.objectLike({
            MAX_WATCH_SECONDS: '840',
            SERVICE_CIDR: DEFAULT_SERVICE_CIDR,
            TABLE_PREFIX: 'zeroplane',
            NODE_ROLE_ARN: getAtt(stack.nodes.role, 'Arn'),
            SECRETS_KMS_KEY_ARN: getAtt(stack.clusterKey.key, 'Arn'),
          }),
        },
      });
    });

    it('gives the API a generated token signing secret it alone may read, and the IAM admin list', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } });
      const secrets = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
      expect(secrets).toHaveLength(1);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ TOKEN_SIGNING_SECRET_ARN: { Ref: secrets[0] }, ADMIN_ARNS: '' }) },
      });
      const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p).includes('secretsmanager:GetSecretValue'),
      );
      expect(readers).toHaveLength(1);
      expect(JSON.stringify(readers[0])).toContain(secrets[0]);
    });

    it('outputs the API URL for kubeconfigs', () => {
      template.hasOutput('ApiUrl', { Value: getAtt(stack.api.url, 'FunctionUrl') });
    });
  });

  describe('Resync', () => {
    it('invokes the controllers on a schedule', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [Match.objectLike({ Arn: getAtt(stack.functions.controllers.function, 'Arn'), RetryPolicy: { MaximumRetryAttempts: 2 } })],
      });
    });
  });

  describe('Lambda functions', () => {
    it.each(Object.entries(LAMBDA_FUNCTIONS))('runs %s on Node 22, arm64, with its own log group', (name, spec) => {
      const fn = stack.functions[name as keyof typeof LAMBDA_FUNCTIONS];
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: spec.description,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: spec.memorySizeMiB,
        LoggingConfig: Match.objectLike({ LogGroup: { Ref: logicalId(fn.logGroup) } }),
        Role: getAtt(fn.role, 'Arn'),
      });
      const logGroup = (template.toJSON().Resources as Record<string, Resource>)[logicalId(fn.logGroup)];
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('IAM', () => {
    it('allows no wildcard action anywhere', () => {
      const statements = allowStatements(template);
      expect(statements.length).toBeGreaterThan(10);
      const wildcards = statements.filter(({ statement }) => asArray(statement.Action).some((a) => a.includes('*')));
      expect(wildcards).toEqual([]);
    });

    it('allows a `*` resource only for dynamodb:ListStreams and the cloud Describe calls (and a key policy, where `*` means the key itself)', () => {
      const keyId = logicalId(stack.clusterKey.key);
      const starResources = allowStatements(template).filter(
        ({ resource, statement }) => resource !== keyId && asArray(statement.Resource).includes('*'),
      );
      expect(starResources.map(({ statement }) => statement.Action)).toEqual(['dynamodb:ListStreams', [...ELB_DESCRIBE_ACTIONS, ...EC2_DESCRIBE_ACTIONS]]);
    });

    it('lets dispatch read the stream and send to the queues, but not write the tables', () => {
      const actions = actionsOf(policyStatementsOf(template, logicalId(stack.functions.dispatch.role)));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'sqs:SendMessage']));
      expect(actions).not.toContain('dynamodb:PutItem');
      expect(actions).not.toContain('kms:Encrypt');
    });

    it('scopes table access to the two tables and the node index, and key use by DynamoDB to DynamoDB', () => {
      const statements = policyStatementsOf(template, logicalId(stack.functions.apiserver.role));
      const tableStatement = statements.find((s) => asArray(s.Action).includes('dynamodb:PutItem'));
      expect(tableStatement?.Resource).toEqual([
        getAtt(stack.tables.tables.objects, 'Arn'),
        { 'Fn::Join': ['', [getAtt(stack.tables.tables.objects, 'Arn'), `/index/${TABLES.objects.globalSecondaryIndexes[0].indexName}`]] },
        getAtt(stack.tables.tables.changelog, 'Arn'),
      ]);
      const viaDynamo = statements.find((s) => asArray(s.Action).includes('kms:DescribeKey'));
      expect(viaDynamo?.Condition).toEqual({ StringEquals: { 'kms:ViaService': `dynamodb.${TEST_REGION}.amazonaws.com` } });
    });

    it('lets a node read only its agent object', () => {
      const statements = policyStatementsOf(template, logicalId(stack.nodes.role));
      expect(actionsOf(statements)).toEqual(['s3:GetObject']);
      expect(JSON.stringify(statements[0].Resource)).toMatch(/\.zip"\]\]\}$/);
    });
  });

  describe('WorkerNodes', () => {
    const userData = (): string => {
      const templates = template.findResources('AWS::EC2::LaunchTemplate');
      const [lt] = Object.values(templates) as Resource[];
      const data = (lt.Properties.LaunchTemplateData as { UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } } }).UserData;
      return data['Fn::Base64']['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    };

    it('installs Docker and starts the agent from the S3 asset with the API URL', () => {
      const script = userData();
      expect(script).toMatch(/^#!\/bin\/bash\n/);
      expect(script).toContain('dnf install -y docker nodejs22');
      expect(script).toContain('systemctl enable --now docker');
      expect(script).toMatch(/aws s3 cp 's3:\/\/.*\.zip' \/tmp\/zeroplane-agent\.zip/);
      expect(script).toContain('ExecStart=/opt/zeroplane/node /opt/zeroplane/agent/index.mjs');
      expect(script).toContain(`ZEROPLANE_API_URL=${JSON.stringify(getAtt(stack.api.url, 'FunctionUrl'))}`);
      expect(script).toContain('ZEROPLANE_NODE_AUTH=aws-iam');
      expect(script).toMatch(/systemctl enable --now zeroplane-agent\s*$/);
    });

    it('runs agents in the economy settings (60 s heartbeats, 240 s leases, pod polls every 20 s) the controllers agree with', () => {
      const script = userData();
      expect(script).toContain('ZEROPLANE_HEARTBEAT_SECONDS=60');
      expect(script).toContain('ZEROPLANE_LEASE_DURATION_SECONDS=240');
      expect(script).toContain('ZEROPLANE_POD_SYNC=poll');
      expect(script).toContain('ZEROPLANE_POLL_SECONDS=20');
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^SQS controller keys'),
        Environment: { Variables: Match.objectLike({ NODE_GRACE_PERIOD_SECONDS: '240' }) },
      });
    });

    it('requires IMDSv2 with one hop, on AL2023 arm64 from the public SSM parameter, with an encrypted root volume', () => {
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
          InstanceType: ZEROPLANE_DEFAULTS.nodeInstanceType,
          BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
        }),
      });
      const parameters = JSON.stringify(template.toJSON().Parameters);
      expect(parameters).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
    });

    it('puts the nodes in public subnets of a VPC with no NAT gateway', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    });

    it('sizes the Auto Scaling group from the props', () => {
      const { template: sized } = synthTemplate({ minNodes: 2, maxNodes: 7, nodeInstanceType: 'm7g.large' });
      sized.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '7' });
      sized.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'm7g.large' }) });
    });

    it('opens NodePorts only to the VPC (load balancer health checks) and the listed sources', () => {
      expect(template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { FromPort: 30000 } })).toEqual({});
      const fromVpc = { CidrIp: ZEROPLANE_DEFAULTS.vpcCidr, FromPort: 30000, ToPort: 32767, IpProtocol: 'tcp', Description: Match.anyValue() };
      template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: [fromVpc] });
      const { template: open } = synthTemplate({ nodePortSourceCidrs: ['203.0.113.0/24'] });
      open.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [{ CidrIp: '203.0.113.0/24', FromPort: 30000, ToPort: 32767, IpProtocol: 'tcp', Description: Match.anyValue() }, fromVpc],
      });
    });
  });

  describe('Props', () => {
    it('defaults the service range to the API server default', () => {
      expect(ZEROPLANE_DEFAULTS.serviceCidr).toBe(DEFAULT_SERVICE_CIDR);
    });

    it.each([
      ['an x86 instance type', { nodeInstanceType: 't3.small' }, /not arm64/],
      ['more minimum than maximum nodes', { minNodes: 4, maxNodes: 3 }, /minNodes/],
      ['overlapping pod and VPC ranges', { podCidr: '10.0.128.0/17' }, /overlap/],
      ['a cluster name with capitals', { clusterName: 'Prod' }, /clusterName/],
      ['no concrete region', { env: {} }, /concrete region/],
    ])('refuses %s', (_what, props, message) => {
      expect(() => buildStack(props)).toThrow(message);
    });

    it('prefixes every table and queue with the cluster name', () => {
      const { template: named } = synthTemplate({ clusterName: 'dev-1' });
      named.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'dev-1-objects' });
      named.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'dev-1-controllers.fifo' });
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged AwsSolutions finding', () => {
      const report = new AwsSolutionsChecks(stack).validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
      expect(report.success).toBe(true);
    });

    it('does report a finding the stack has not acknowledged', () => {
      const { stack: extra } = buildStack();
      new sqs.Queue(extra, 'Unprotected');
      const report = new AwsSolutionsChecks(extra).validateScope(extra);
      expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    });
  });
});

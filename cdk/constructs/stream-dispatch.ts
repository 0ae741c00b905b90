/**
 * The objects table's stream → the dispatch function. A record that keeps failing must never block its shard
 * (every later change of the keys in that shard would wait behind it): failures are reported per record, a failing
 * batch is bisected to isolate the bad record, retries are bounded, and what still fails lands, as stream
 * metadata, on an SQS on-failure queue with an alarm. The periodic resync repairs whatever that record would have
 * triggered (design invariant: controllers are level-based).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DISPATCH_FILTER_CRITERIA } from '../../functions/dispatch/filter-criteria.ts';
import type { StateTables } from './state-tables.ts';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface StreamDispatchProps {
  tables: StateTables;
  dispatch: ZeroplaneFunction;
  /** Records per invocation. Default 100. */
  batchSize?: number;
  /** Wait up to this long to fill a batch (fewer invocations when idle writes trickle in). Default 1 s. */
  maxBatchingWindow?: Duration;
  /** Retries of a failing batch (bisected on each) before its records go to the on-failure queue. Default 5. */
  retryAttempts?: number;
  /** Records older than this are sent to the on-failure queue instead of being processed. Default 1 hour. */
  maxRecordAge?: Duration;
}

/**
 * The mapping's FilterCriteria filters: the very pattern JSON the local stream poller evaluates, passed through
 * unparsed (EventSourceMapping takes `{ pattern }` objects, as lambda.FilterCriteria.filter() returns them).
 */
export function dispatchFilters(): { pattern: string }[] {
  return DISPATCH_FILTER_CRITERIA.Filters.map((f) => ({ pattern: f.Pattern }));
}

export class StreamDispatch extends Construct {
  readonly onFailureQueue: sqs.Queue;
  readonly onFailureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StreamDispatchProps) {
    super(scope, id);
    // Standard, not FIFO: Lambda's on-failure destinations do not accept FIFO queues. It holds pointers to stream
    // records (shard, sequence numbers), not the records, for an operator to inspect within the retention.
    this.onFailureQueue = new sqs.Queue(this, 'OnFailure', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the terminal destination for failed stream records (an on-failure destination); nothing consumes it automatically, and its depth is alarmed.',
    });
    this.onFailureAlarm = new cloudwatch.Alarm(this, 'OnFailureAlarm', {
      alarmDescription: 'Stream records that dispatch could not process were set aside (see the on-failure queue)',
      metric: this.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    props.tables.grantObjectsStreamRead(props.dispatch);
    // A plain mapping rather than DynamoEventSource: that one also calls grantStreamRead, and the role should list
    // only the statements of grantObjectsStreamRead.
    props.dispatch.function.addEventSourceMapping('ObjectsStream', {
      eventSourceArn: props.tables.objectsStreamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 100,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 5,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.onFailureQueue),
      filters: dispatchFilters(),
    });
  }
}

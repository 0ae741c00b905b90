/**
 * The controller queues from shared/resources.ts (FIFO, one message group per controller + key), each with its
 * dead-letter queue, an alarm on the dead-letter queue's depth, and its consumer function fed by an SQS event
 * source that reports failures per message. Every function that enqueues keys (dispatch, the controllers' own
 * fan-out and requeues) is given the queue URLs and SendMessage on exactly these queues.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueueName, QUEUES, queueName, type QueueDefinition, type QueueId } from '../../shared/resources.ts';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface ControllerQueuesProps {
  /** Queue name prefix (`<prefix>-<id>.fifo`). */
  prefix: string;
  /** The consumer of each queue (one function may consume several). */
  consumers: Record<QueueId, ZeroplaneFunction>;
  /** Messages per invocation (FIFO allows at most 10). Default 10. */
  batchSize?: number;
  /**
   * Concurrent invocations per queue (Lambda's minimum is 2). Default 5: bounds the load the controllers put on
   * the API and the tables; FIFO already serializes each key.
   */
  maxConcurrency?: number;
}

/** The environment variable carrying a queue's URL: SCHEDULER_QUEUE_URL, CONTROLLERS_QUEUE_URL, CLOUD_QUEUE_URL. */
export function queueUrlVariable(id: QueueId): string {
  return `${id.toUpperCase()}_QUEUE_URL`;
}

export class ControllerQueues extends Construct {
  readonly queues: Record<QueueId, sqs.Queue>;
  readonly deadLetterQueues: Record<QueueId, sqs.Queue>;
  readonly alarms: Record<QueueId, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ControllerQueuesProps) {
    super(scope, id);
    const queues = {} as Record<QueueId, sqs.Queue>;
    const deadLetterQueues = {} as Record<QueueId, sqs.Queue>;
    const alarms = {} as Record<QueueId, cloudwatch.Alarm>;
    for (const def of Object.values(QUEUES) as QueueDefinition[]) {
      const consumer = props.consumers[def.id];
      const timeout = consumer.function.timeout?.toSeconds() ?? 3;
      if (timeout > def.visibilityTimeoutSeconds) {
        // Lambda refuses such a mapping at deploy time; say so at synth instead.
        throw new Error(
          `the ${def.id} queue's consumer times out after ${timeout} s, beyond the queue's visibility timeout of ${def.visibilityTimeoutSeconds} s`,
        );
      }
      const deadLetterQueue = new sqs.Queue(this, `${def.id}-dlq`, {
        queueName: deadLetterQueueName(props.prefix, def.id),
        fifo: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const queue = new sqs.Queue(this, def.id, {
        queueName: queueName(props.prefix, def.id),
        fifo: true,
        // Senders set a MessageDeduplicationId per change (functions/pipeline/queue-message.ts); content-based
        // deduplication would swallow a second wake-up of the same key.
        contentBasedDeduplication: false,
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      alarms[def.id] = new cloudwatch.Alarm(this, `${def.id}-dlq-alarm`, {
        alarmDescription: `Keys the ${def.id} queue's consumer failed ${def.maxReceiveCount} times were dead-lettered`,
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      consumer.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: props.batchSize ?? 10,
          maxConcurrency: props.maxConcurrency ?? 5,
          reportBatchItemFailures: true,
        }),
      );
      queues[def.id] = queue;
      deadLetterQueues[def.id] = deadLetterQueue;
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
    this.alarms = alarms;
  }

  /** SendMessage (and SendMessageBatch, which IAM authorizes as SendMessage) on every queue, and their URLs. */
  grantSend(fn: ZeroplaneFunction): void {
    const ids = Object.keys(this.queues) as QueueId[];
    fn.allow(['sqs:SendMessage'], ids.map((id) => this.queues[id].queueArn));
    for (const id of ids) fn.function.addEnvironment(queueUrlVariable(id), this.queues[id].queueUrl);
  }
}

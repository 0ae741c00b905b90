/**
 * The periodic resync: an EventBridge rule invokes the resync function with EventBridge's "Scheduled Event"
 * (functions/pipeline/lambda-events.ts). Controllers are level-based, so a resync repairs anything a lost or
 * set-aside event missed, and checks time-driven state (node lease expiry, CronJob schedules).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface ResyncProps {
  target: ZeroplaneFunction;
  /**
   * Default 5 minutes: a node whose heartbeats stop is noticed within one interval, and the schedule costs about
   * 8,700 invocations a month (well inside Lambda's free tier).
   */
  interval?: Duration;
}

export class Resync extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ResyncProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Zeroplane periodic resync of the controllers',
      schedule: events.Schedule.rate(props.interval ?? Duration.minutes(5)),
    });
    // Two attempts within the interval; a missed tick is repaired by the next one.
    this.rule.addTarget(
      new targets.LambdaFunction(props.target.function, { retryAttempts: 2, maxEventAge: props.interval ?? Duration.minutes(5) }),
    );
  }
}

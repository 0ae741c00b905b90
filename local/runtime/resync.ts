/**
 * The periodic resync trigger (an EventBridge schedule on AWS): invokes the handler with a Scheduled Event every
 * `intervalMs`. Ticks never overlap: a tick that is still running when the next is due makes that one skip.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ScheduledEvent } from '../../functions/pipeline/lambda-events.ts';
import { makeInvokeContext, type InvokeContext } from './invoke-context.ts';

export interface ResyncOptions {
  intervalMs: number;
  handler: (event: ScheduledEvent, context: InvokeContext) => Promise<unknown>;
  /** Also run once right away. Default false. */
  runAtStart?: boolean;
  region?: string;
  logger?: Logger;
  clock?: () => Date;
}

export interface Resync {
  stop(): Promise<void>;
}

export function startResync(options: ResyncOptions): Resync {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running) return;
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: clock().toISOString(),
      region: options.region ?? 'us-east-1',
      resources: [],
      detail: {},
    };
    running = options
      .handler(event, makeInvokeContext('resync', 60_000, options.region))
      .then(
        () => undefined,
        (err: unknown) => void options.logger?.warn({ err }, 'resync failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  if (options.runAtStart) tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

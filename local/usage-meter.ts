/**
 * Counts what a local cluster would be billed for on AWS (bench/idle-cost.ts): DynamoDB capacity units as
 * DynamoDB Local reports them (every request is sent with ReturnConsumedCapacity=TOTAL while metering), SQS
 * messages sent, and each function's invocations and durations. One meter per process, off unless a bench turns
 * it on, so the product pays nothing for it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

export type FunctionName = 'api' | 'dispatch' | 'controllers' | 'resync';

export interface InvocationTally {
  count: number;
  totalMs: number;
}

export interface UsageReading {
  writeUnits: number;
  readUnits: number;
  sqsMessages: number;
  invocations: Record<FunctionName, InvocationTally>;
  logBytes: number;
  /** Object writes by resource (`core/nodes`), from the objects-table items of each transaction. */
  writesByResource: Record<string, number>;
  /** Messages sent by controller name (`nodelifecycle`, `scheduler`, …). */
  messagesByController: Record<string, number>;
}

function empty(): UsageReading {
  const tally = () => ({ count: 0, totalMs: 0 });
  return {
    writeUnits: 0,
    readUnits: 0,
    sqsMessages: 0,
    invocations: { api: tally(), dispatch: tally(), controllers: tally(), resync: tally() },
    logBytes: 0,
    writesByResource: {},
    messagesByController: {},
  };
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

let reading: UsageReading | undefined;

/** Starts metering (from zero); reading() then returns what was counted since. */
export function startMetering(): void {
  reading = empty();
}

export function stopMetering(): UsageReading | undefined {
  const r = reading;
  reading = undefined;
  return r;
}

export function meterReading(): UsageReading | undefined {
  return reading ? structuredClone(reading) : undefined;
}

export function meteringOn(): boolean {
  return reading !== undefined;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** Adds ReturnConsumedCapacity=TOTAL to every request while metering, and counts the units in the replies. */
export function meterDynamo(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!reading) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: Consumed | Consumed[] };
      const consumed = output.ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((n, c) => n + (c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0)), 0);
      if (reading) {
        if (WRITES.has(context.commandName ?? '')) reading.writeUnits += units;
        else reading.readUnits += units;
        if (context.commandName === 'TransactWriteItemsCommand') {
          const items = (input.TransactItems ?? []) as { Put?: { TableName?: string; Item?: { pk?: { S?: string } } } }[];
          for (const it of items) {
            const pk = it.Put?.Item?.pk?.S;
            if (pk && /objects$/.test(it.Put?.TableName ?? '')) bump(reading.writesByResource, pk);
          }
        }
      }
      return result;
    },
    { step: 'initialize', name: 'zeroplaneUsageMeter' },
  );
}

/** Counts messages sent (SendMessage and each entry of SendMessageBatch). */
export function meterSqs(client: SQSClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (reading) {
        const input = args.input as { Entries?: { MessageBody?: string }[]; MessageBody?: string };
        const bodies = context.commandName === 'SendMessageCommand' ? [input.MessageBody] : context.commandName === 'SendMessageBatchCommand' ? (input.Entries ?? []).map((e) => e.MessageBody) : [];
        reading.sqsMessages += bodies.length;
        for (const body of bodies) {
          try {
            bump(reading.messagesByController, String((JSON.parse(body ?? '{}') as { controller?: unknown }).controller ?? '?'));
          } catch {
            bump(reading.messagesByController, '?');
          }
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'zeroplaneUsageMeter' },
  );
}

/** Wraps a handler so each call counts as one invocation of `name` with its duration. */
export function meterInvocations<A extends unknown[], R>(name: FunctionName, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const started = performance.now();
    try {
      return await handler(...args);
    } finally {
      if (reading) {
        reading.invocations[name].count += 1;
        reading.invocations[name].totalMs += Math.max(1, performance.now() - started);
      }
    }
  };
}

export function countLogBytes(n: number): void {
  if (reading) reading.logBytes += n;
}

/**
 * A local control plane (the runtime's pollers and the same handlers Lambda runs) in a process of its own, so a
 * chaos test can kill it with SIGKILL: no graceful shutdown, in-flight reconciles and unsettled messages simply
 * vanish, as when a Lambda environment or `zeroplane up` dies. Started by test/local/runtime/chaos.test.ts as
 * `node --import tsx control-plane-process.ts '<json ControlPlaneProcessConfig>'`; prints READY_LINE once polling.
 */
import { pino } from 'pino';
import { z } from 'zod';
import { createDynamoStore } from '../../functions/store/dynamodb-store.ts';
import { startControlPlane } from '../../local/control-plane.ts';
import { makeDynamoClient, makeSqsClient } from '../../local/emulators.ts';

export const READY_LINE = 'control plane ready';

export const ControlPlaneProcessConfigSchema = z.object({
  dynamoEndpoint: z.string(),
  sqsEndpoint: z.string(),
  prefix: z.string(),
  queueUrls: z.object({ scheduler: z.string(), controllers: z.string(), cloud: z.string() }),
  checkpointsPath: z.string(),
  resyncIntervalMs: z.number().optional(),
});
export type ControlPlaneProcessConfig = z.infer<typeof ControlPlaneProcessConfigSchema>;

async function main(): Promise<void> {
  const config = ControlPlaneProcessConfigSchema.parse(JSON.parse(process.argv[2] ?? ''));
  const logger = pino({ level: process.env.CHAOS_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const store = createDynamoStore({ client: makeDynamoClient(config.dynamoEndpoint), tablePrefix: config.prefix, onError: (err) => logger.error({ err }, 'store') });
  await startControlPlane({
    store,
    sqs: makeSqsClient(config.sqsEndpoint),
    queueUrls: config.queueUrls,
    dynamoEndpoint: config.dynamoEndpoint,
    sqsEndpoint: config.sqsEndpoint,
    prefix: config.prefix,
    logger,
    checkpointsPath: config.checkpointsPath,
    resyncIntervalMs: config.resyncIntervalMs,
  });
  process.stdout.write(`${READY_LINE}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().catch((err: unknown) => {
    process.stderr.write(`control plane process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

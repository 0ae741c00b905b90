/**
 * `npm run bench:idle-cost`: what an idle 3-node Zeroplane costs on AWS per month, and each extra node, from request
 * counts measured on a local cluster next to public prices (bench/cost-model.ts), against EKS's $73.
 *
 * One local cluster runs in this process with its usage meter on (local/usage-meter.ts): every DynamoDB request
 * asks DynamoDB Local for its consumed capacity, every SQS send and every function invocation (API, stream
 * dispatch, queue consumers, resync) is counted with its duration. Real node agents (the production agent code,
 * over HTTPS with node credentials, on an in-memory container runtime since an idle node runs no pods) heartbeat
 * and sync their pods. Two measurements:
 *   1. steady idle: the agents alone over WINDOW seconds (the resync timer off);
 *   2. one resync tick, fired by hand, until its queue work has drained; scaled to the stack's 5-minute schedule.
 * Figures, not assertions. Env: WINDOW (s, default 120), NODES (default 3), HEARTBEAT (s, default 10),
 * POD_SYNC (watch|poll, default watch), POLL (s, default 30).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { startLocalCluster } from '../local/cluster.ts';
import { ensureTls } from '../local/tls.ts';
import { makeSqsClient } from '../local/emulators.ts';
import { meterReading, startMetering, type UsageReading } from '../local/usage-meter.ts';
import { makeResyncHandler } from '../functions/dispatch/resync-handler.ts';
import { queueName, QUEUES, type QueueId } from '../shared/resources.ts';
import { startNodeAgent, type NodeAgent } from '../node-agent/agent.ts';
import { createHttpApi } from '../node-agent/api-client.ts';
import { FakeRuntime } from '../test/node-agent/support/fake-runtime.ts';
import { monthlyIdleCost, PRICES, SECONDS_PER_MONTH, total, type IdleWindow } from './cost-model.ts';

const WINDOW_S = Number(process.env.WINDOW ?? 120);
const NODES = Number(process.env.NODES ?? 3);
const HEARTBEAT_S = Number(process.env.HEARTBEAT ?? 10);
const POD_SYNC = (process.env.POD_SYNC ?? 'watch') as 'watch' | 'poll';
const POLL_S = Number(process.env.POLL ?? 30);
/** The stack's resync schedule (cdk/constructs/resync.ts). */
const AWS_RESYNC_S = 300;
/** Lambda memory per function (cdk/lambda-functions.ts). */
const MEMORY_MB = { api: 1024, dispatch: 256, controllers: 512, resync: 512 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function subtractMaps(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

function diff(a: UsageReading, b: UsageReading): UsageReading {
  const inv = (k: keyof UsageReading['invocations']) => ({ count: b.invocations[k].count - a.invocations[k].count, totalMs: b.invocations[k].totalMs - a.invocations[k].totalMs });
  return {
    writeUnits: b.writeUnits - a.writeUnits,
    readUnits: b.readUnits - a.readUnits,
    sqsMessages: b.sqsMessages - a.sqsMessages,
    logBytes: b.logBytes - a.logBytes,
    writesByResource: subtractMaps(a.writesByResource, b.writesByResource),
    messagesByController: subtractMaps(a.messagesByController, b.messagesByController),
    invocations: { api: inv('api'), dispatch: inv('dispatch'), controllers: inv('controllers'), resync: inv('resync') },
  };
}

function toWindow(r: UsageReading, seconds: number): IdleWindow {
  const profile = (k: keyof UsageReading['invocations']) => ({
    count: r.invocations[k].count,
    meanMs: r.invocations[k].count ? r.invocations[k].totalMs / r.invocations[k].count : 0,
    memoryMb: MEMORY_MB[k],
  });
  return {
    seconds,
    api: profile('api'),
    dispatch: profile('dispatch'),
    controllers: profile('controllers'),
    resync: profile('resync'),
    dynamoWriteUnits: r.writeUnits,
    dynamoReadUnits: r.readUnits,
    sqsMessages: r.sqsMessages,
    logBytes: r.logBytes,
  };
}

/** Adds a resync tick's usage (measured once) to a window, scaled to as many ticks as the window has on AWS. */
function withResync(w: IdleWindow, tick: UsageReading): IdleWindow {
  const ticks = w.seconds / AWS_RESYNC_S;
  const add = (p: IdleWindow['api'], t: UsageReading['invocations']['api']) => {
    const count = p.count + t.count * ticks;
    return { ...p, count, meanMs: count ? (p.meanMs * p.count + t.totalMs * ticks) / count : 0 };
  };
  return {
    ...w,
    api: add(w.api, tick.invocations.api),
    dispatch: add(w.dispatch, tick.invocations.dispatch),
    controllers: add(w.controllers, tick.invocations.controllers),
    resync: add(w.resync, tick.invocations.resync),
    dynamoWriteUnits: w.dynamoWriteUnits + tick.writeUnits * ticks,
    dynamoReadUnits: w.dynamoReadUnits + tick.readUnits * ticks,
    sqsMessages: w.sqsMessages + tick.sqsMessages * ticks,
  };
}

const usd = (n: number) => `$${n.toFixed(n < 0.1 ? 4 : 2)}`;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'zp-idle-cost-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`• starting a local cluster (resync off during the steady window)…`);
  // The node lifecycle grace period follows the heartbeat, as the stack sets it (NODE_GRACE_PERIOD_SECONDS).
  const cluster = await startLocalCluster({ dataDir, port: 0, ephemeral: true, controllers: true, resyncIntervalMs: 24 * 3600_000, nodeGracePeriodSeconds: Math.max(40, HEARTBEAT_S * 4) });
  const agents: NodeAgent[] = [];
  try {
    const ca = (await ensureTls(dataDir)).caCertPem;
    for (let i = 1; i <= NODES; i++) {
      const name = `idle-node-${i}`;
      const token = await cluster.issueNodeToken(name);
      const api = createHttpApi({ server: cluster.url, token, ca });
      agents.push(
        await startNodeAgent({
          api,
          nodeName: name,
          runtime: new FakeRuntime(),
          dataDir: join(dataDir, name),
          leaseRenewMs: HEARTBEAT_S * 1000,
          leaseDurationSeconds: HEARTBEAT_S * 4,
          podSync: POD_SYNC,
          pollMs: POLL_S * 1000,
        }),
      );
    }
    log(`• ${NODES} agents registered; settling 15 s…`);
    await sleep(15_000);

    startMetering();
    const t0 = meterReading()!;
    log(`• measuring ${WINDOW_S} s of idle…`);
    await sleep(WINDOW_S * 1000);
    const steady = diff(t0, meterReading()!);

    log('• one resync tick…');
    const sqs = makeSqsClient(cluster.sqsEndpoint);
    const urls: Partial<Record<QueueId, string>> = {};
    for (const id of Object.keys(QUEUES) as QueueId[]) {
      urls[id] = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName('zp', id) }))).QueueUrl;
    }
    const resync = makeResyncHandler({ sqs, queueUrl: (id) => urls[id]!, logger: pino({ level: 'warn' }) });
    const before = meterReading()!;
    const tickStart = performance.now();
    await resync({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() } as never, {} as never);
    // Wait until the queue consumers have gone quiet for 3 s.
    let last = -1;
    for (let quiet = 0; quiet < 3; ) {
      await sleep(1000);
      const n = meterReading()!.invocations.controllers.count;
      quiet = n === last ? quiet + 1 : 0;
      last = n;
    }
    const tickSeconds = (performance.now() - tickStart) / 1000;
    const rawTick = diff(before, meterReading()!);
    // The agents kept running during the tick: take their steady share out.
    const share = tickSeconds / WINDOW_S;
    const tick: UsageReading = {
      ...rawTick,
      writeUnits: Math.max(0, rawTick.writeUnits - steady.writeUnits * share),
      readUnits: Math.max(0, rawTick.readUnits - steady.readUnits * share),
      invocations: { ...rawTick.invocations, resync: { count: 1, totalMs: rawTick.invocations.resync.totalMs }, api: { count: 0, totalMs: 0 } },
    };
    tick.invocations.resync.count = 1;

    const perNode = (x: number) => (x / NODES / WINDOW_S) * 60;
    console.log(`\nIdle figures (${NODES} nodes, lease every ${HEARTBEAT_S} s, pod sync ${POD_SYNC}${POD_SYNC === 'poll' ? ` every ${POLL_S} s` : ''}, ${WINDOW_S} s window):`);
    console.log(`| per node per minute | API requests | DynamoDB WRU | DynamoDB RRU | stream dispatches | queue invocations |`);
    console.log(`|---|---|---|---|---|---|`);
    console.log(
      `| measured | ${perNode(steady.invocations.api.count).toFixed(2)} | ${perNode(steady.writeUnits).toFixed(1)} | ${perNode(steady.readUnits).toFixed(1)} | ${perNode(steady.invocations.dispatch.count).toFixed(2)} | ${perNode(steady.invocations.controllers.count).toFixed(2)} |`,
    );
    const perMinute = (m: Record<string, number>) => Object.entries(m).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${((v / WINDOW_S) * 60).toFixed(1)}`).join(', ');
    console.log(`\nObject writes per minute (whole cluster): ${perMinute(steady.writesByResource) || 'none'}`);
    console.log(`Queue messages per minute (whole cluster): ${perMinute(steady.messagesByController) || 'none'}`);
    console.log(`\nOne resync tick: ${rawTick.invocations.controllers.count} queue invocations, ${rawTick.sqsMessages} messages, ${tick.writeUnits.toFixed(1)} WRU, ${tick.readUnits.toFixed(1)} RRU (${tickSeconds.toFixed(1)} s to drain).`);

    // A held watch is one invocation that lasts as long as the watch: every node keeps one open all month.
    const heldWatchSeconds = POD_SYNC === 'watch' ? NODES * SECONDS_PER_MONTH : 0;
    const setup = { polledQueues: Object.keys(QUEUES).length, pollersPerQueue: 2, alarms: 4, kmsKeys: 1, secrets: 1, heldWatchSeconds, apiMemoryMb: MEMORY_MB.api };
    const full = withResync(toWindow(steady, WINDOW_S), tick);
    const lines = monthlyIdleCost(full, setup);
    console.log(`\nMonthly cost of the idle ${NODES}-node cluster (us-east-1, on demand, no free tier):`);
    console.log('| item | $/month | from |');
    console.log('|---|---|---|');
    for (const l of lines) console.log(`| ${l.item} | ${usd(l.monthly)} | ${l.detail} |`);
    const sum = total(lines);
    const fixed = lines.filter((l) => /alarms|KMS|idle long polls|Secrets Manager/.test(l.item)).reduce((t, l) => t + l.monthly, 0);
    const usage = sum - fixed;
    console.log(`| **total** | **${usd(sum)}** | of which ${usd(fixed)} fixed (alarms, KMS key, secret, empty long polls) and ${usd(usage)} from use |`);
    const steadyOnly = monthlyIdleCost(toWindow(steady, WINDOW_S), { polledQueues: 0, pollersPerQueue: 0, alarms: 0, kmsKeys: 0, secrets: 0, heldWatchSeconds, apiMemoryMb: MEMORY_MB.api });
    console.log(`\nEach extra idle node: ${usd(total(steadyOnly) / NODES)} a month. EKS: ${usd(PRICES.eksPerMonth)} a month for the control plane alone (${(PRICES.eksPerMonth / sum).toFixed(0)}× this).`);
    const optional = lines.filter((l) => /alarms|KMS|Secrets Manager/.test(l.item)).reduce((t, l) => t + l.monthly, 0);
    console.log(`Goal ≤ $1/month for 3 idle nodes: ${sum <= 1 ? 'met' : 'missed'} (${usd(sum)}); without the KMS key, the secret and the alarms: ${usd(sum - optional)}.`);
    console.log(`(A month is ${SECONDS_PER_MONTH.toLocaleString('en-US')} s; the resync tick is scaled to one per ${AWS_RESYNC_S} s.)`);
  } finally {
    for (const a of agents) await a.stop().catch(() => undefined);
    await cluster.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);

/**
 * `npm run bench:api`: API latency through the real HTTPS path of `zeroplane up --ephemeral`, next to the raw
 * DynamoDB Local round trips the same writes cost, measured in the same run.
 *
 * Phase 1 (raw): DynamoDB Local in memory with Zeroplane's own table definitions; PutItem of a ConfigMap-sized
 * object item, the store's write pair (RV counter ADD + TransactWriteItems of object and change-log entry), and
 * a consistent GetItem. Phase 2 (API): a cluster subprocess; create, get, update, list (100 and 10,000 objects)
 * and watch delivery (write sent → event seen on an open watch), each at 1, 8 and 32 concurrent clients with
 * keep-alive agents. The phases run one after the other so that the two JVMs never share the 2 cores.
 *
 * Figures, not assertions: the goal checks are printed (and the exit code is 0 either way).
 * BENCH_QUICK=1 runs a tenth of the operations (a smoke run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDynamoClient, startDynamoLocal } from '../local/emulators.ts';
import { ensureTables, type TableNames } from '../shared/resources.ts';
import { createApiClient, startCluster, type ApiClient, type LocalCluster } from '../test/support/cluster.ts';
import { repoRoot } from '../local/tools.ts';
import { runConcurrent, summarize, type Summary } from './stats.ts';

const quick = process.env.BENCH_QUICK === '1';
const scale = (n: number) => Math.max(1, Math.round(quick ? n / 10 : n));
const levels = [1, 8, 32] as const;
const cellMaxMs = quick ? 5_000 : 20_000;
const listBigSize = quick ? 1_000 : 10_000;

/** Operations per cell, by concurrency. */
const writeOps: Record<number, number> = { 1: scale(300), 8: scale(800), 32: scale(1_600) };
const list100Ops: Record<number, number> = { 1: scale(100), 8: scale(200), 32: scale(320) };
const listBigOps: Record<number, number> = { 1: 5, 8: 16, 32: 32 };
const watchWrites: Record<number, number> = { 1: scale(100), 8: scale(240), 32: scale(320) };

interface Row {
  operation: string;
  concurrency: number;
  summary: Summary;
  /** The raw operation this row is compared with. */
  raw?: string;
  note?: string;
}

const rows: Row[] = [];
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function configMapData(i: number): Record<string, string> {
  // About 400 bytes of payload: a typical small ConfigMap.
  return { index: String(i), 'app.properties': `name=bench\nreplicas=3\n${'x'.repeat(300)}`, mode: 'bench' };
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 1: raw DynamoDB Local

function objectItem(name: string, rv: number) {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench', resourceVersion: String(rv), uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString() }, data: configMapData(rv) };
  return { pk: { S: 'core/configmaps' }, sk: { S: `bench/${name}` }, rv: { N: String(rv) }, obj: { S: JSON.stringify(obj) } };
}

async function rawPhase(): Promise<void> {
  log('raw: starting DynamoDB Local (in memory)');
  const ddb = await startDynamoLocal({ inMemory: true });
  const client: DynamoDBClient = makeDynamoClient(ddb.endpoint);
  try {
    const tables: TableNames = await ensureTables(client, 'rawbench');
    let seq = 0;
    const put = async () => {
      const i = ++seq;
      await client.send(new PutItemCommand({ TableName: tables.objects, Item: objectItem(`put-${i}`, i) }));
    };
    const pair = async () => {
      const counter = await client.send(
        new UpdateItemCommand({
          TableName: tables.changelog,
          Key: { pk: { S: 'meta' }, sk: { N: '0' } },
          UpdateExpression: 'ADD v :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const rv = Number(counter.Attributes?.v?.N);
      const item = objectItem(`tx-${rv}`, rv);
      const now = Date.now();
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: tables.objects, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: tables.changelog,
                Item: { pk: { S: 'log' }, sk: { N: String(rv) }, t: { S: 'ADDED' }, r: { S: 'core/configmaps' }, ns: { S: 'bench' }, n: { S: `tx-${rv}` }, obj: item.obj, at: { N: String(now) }, expiresAt: { N: String(Math.floor(now / 1000) + 3600) } },
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
          ],
        }),
      );
    };
    const get = async (i: number) => {
      const out = await client.send(
        new GetItemCommand({ TableName: tables.objects, Key: { pk: { S: 'core/configmaps' }, sk: { S: `bench/put-${(i % Math.max(1, seq)) + 1}` } }, ConsistentRead: true }),
      );
      if (!out.Item) throw new Error('raw GetItem found nothing');
    };

    log('raw: warm-up');
    await runConcurrent({ concurrency: 4, ops: scale(1_000), maxMs: 30_000 }, async () => {
      await put();
      await pair();
    });
    for (const c of levels) {
      for (const [operation, op] of [
        ['raw PutItem', put],
        ['raw counter+TransactWriteItems', pair],
        ['raw GetItem (consistent)', (_w: number, i: number) => get(i)],
      ] as const) {
        const { samples, wallMs } = await runConcurrent({ concurrency: c, ops: writeOps[c], maxMs: cellMaxMs }, op);
        rows.push({ operation, concurrency: c, summary: summarize(samples, wallMs) });
        log(`${operation} @${c}: done`);
      }
    }
  } finally {
    client.destroy();
    await ddb.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 2: the API

async function expectStatus(p: Promise<{ status: number; text: string }>, want: number, what: string) {
  const r = await p;
  if (r.status !== want) throw new Error(`${what}: HTTP ${r.status} (wanted ${want}): ${r.text.slice(0, 500)}`);
  return r as Awaited<typeof p> & { json<T = any>(): T };
}

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

async function createNamespace(api: ApiClient, name: string): Promise<void> {
  await expectStatus(api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }), 201, `create namespace ${name}`);
}

async function createMany(api: ApiClient, ns: string, count: number, concurrency: number): Promise<number> {
  const t0 = performance.now();
  await runConcurrent({ concurrency, ops: count, maxMs: 3_600_000 }, async (_w, i) => {
    await expectStatus(api.request('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `item-${i}` }, data: configMapData(i) }), 201, 'bulk create');
  });
  return performance.now() - t0;
}

function clientFor(cluster: LocalCluster, concurrency: number): ApiClient {
  return createApiClient({ server: cluster.server, ca: cluster.ca, token: cluster.token }, { maxSockets: concurrency });
}

async function crudPhase(cluster: LocalCluster): Promise<void> {
  const warm = clientFor(cluster, 8);
  await createNamespace(warm, 'bench-warm');
  log('api: warm-up');
  await runConcurrent({ concurrency: 8, ops: scale(500), maxMs: 60_000 }, async (_w, i) => {
    const r = await expectStatus(warm.request('POST', cmPath('bench-warm'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `warm-${i}` }, data: configMapData(i) }), 201, 'warm create');
    await expectStatus(warm.request('GET', cmPath('bench-warm', r.json().metadata.name)), 200, 'warm get');
  });
  warm.close();

  for (const c of levels) {
    const api = clientFor(cluster, c);
    const ns = `bench-crud-${c}`;
    await createNamespace(api, ns);
    const n = writeOps[c];

    const created = await runConcurrent({ concurrency: c, ops: n, maxMs: cellMaxMs }, async (_w, i) => {
      await expectStatus(api.request('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: configMapData(i) }), 201, 'create');
    });
    rows.push({ operation: 'create', concurrency: c, summary: summarize(created.samples, created.wallMs), raw: 'raw counter+TransactWriteItems' });
    const existing = created.samples.length;

    const got = await runConcurrent({ concurrency: c, ops: n, maxMs: cellMaxMs }, async (_w, i) => {
      await expectStatus(api.request('GET', cmPath(ns, `cm-${i % existing}`)), 200, 'get');
    });
    rows.push({ operation: 'get', concurrency: c, summary: summarize(got.samples, got.wallMs), raw: 'raw GetItem (consistent)' });

    // Each worker updates its own object with the RV it last saw: no conflicts, every PUT is a real write.
    const mine = await Promise.all(
      Array.from({ length: c }, async (_, w) => (await expectStatus(api.request('GET', cmPath(ns, `cm-${w % existing}`)), 200, 'get for update')).json()),
    );
    const updated = await runConcurrent({ concurrency: c, ops: n, maxMs: cellMaxMs }, async (w, i) => {
      const obj = mine[w];
      obj.data = { ...obj.data, index: String(i) };
      mine[w] = (await expectStatus(api.request('PUT', cmPath(ns, obj.metadata.name), obj), 200, 'update')).json();
    });
    rows.push({ operation: 'update', concurrency: c, summary: summarize(updated.samples, updated.wallMs), raw: 'raw counter+TransactWriteItems' });
    api.close();
    log(`api create/get/update @${c}: done`);
  }
}

async function listPhase(cluster: LocalCluster): Promise<void> {
  const setup = clientFor(cluster, 32);
  await createNamespace(setup, 'bench-list-100');
  await createMany(setup, 'bench-list-100', 100, 16);
  await createNamespace(setup, 'bench-list-big');
  log(`api: creating ${listBigSize} ConfigMaps with 32 clients`);
  const bulkMs = await createMany(setup, 'bench-list-big', listBigSize, 32);
  rows.push({
    operation: `bulk create ${listBigSize}`,
    concurrency: 32,
    summary: { n: listBigSize, p50: Number.NaN, p99: Number.NaN, max: Number.NaN, throughput: (listBigSize * 1000) / bulkMs },
    note: `${(bulkMs / 1000).toFixed(1)} s total`,
  });
  setup.close();

  for (const [ns, size, ops] of [
    ['bench-list-100', 100, list100Ops],
    ['bench-list-big', listBigSize, listBigOps],
  ] as const) {
    for (const c of levels) {
      const api = clientFor(cluster, c);
      const r = await runConcurrent({ concurrency: c, ops: ops[c], maxMs: cellMaxMs * 2 }, async () => {
        const reply = await expectStatus(api.request('GET', cmPath(ns)), 200, 'list');
        const count = reply.json().items.length;
        if (count !== size) throw new Error(`list of ${ns} returned ${count} items, wanted ${size}`);
      });
      rows.push({ operation: `list ${size}`, concurrency: c, summary: summarize(r.samples, r.wallMs) });
      api.close();
      log(`api list ${size} @${c}: done`);
    }
  }
}

async function watchPhase(cluster: LocalCluster): Promise<void> {
  for (const c of levels) {
    const api = clientFor(cluster, c);
    const ns = `bench-watch-${c}`;
    await createNamespace(api, ns);
    const rv = (await expectStatus(api.request('GET', cmPath(ns)), 200, 'list before watch')).json().metadata.resourceVersion;
    // c clients, each with its own open watch and each writing: every write is timed on every watch.
    const arrivals = Array.from({ length: c }, () => new Map<string, number>());
    const watches = arrivals.map((seen) => {
      const w = api.watch(`${cmPath(ns)}?watch=true&resourceVersion=${rv}&timeoutSeconds=300`);
      w.onEvent((ev, at) => {
        if (ev.type === 'ADDED' && !seen.has(ev.object.metadata.name)) seen.set(ev.object.metadata.name, at);
      });
      return w;
    });
    const statuses = await Promise.all(watches.map((w) => w.status));
    if (statuses.some((s) => s !== 200)) throw new Error(`watch statuses ${statuses.join(',')}`);

    const sent = new Map<string, number>();
    const total = watchWrites[c];
    await runConcurrent({ concurrency: c, ops: total, maxMs: cellMaxMs }, async (_w, i) => {
      const name = `w-${i}`;
      sent.set(name, performance.now());
      await expectStatus(api.request('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: configMapData(i) }), 201, 'watch write');
    });
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && arrivals.some((seen) => seen.size < sent.size)) await new Promise((r) => setTimeout(r, 20));
    const samples: number[] = [];
    let lost = 0;
    for (const seen of arrivals) {
      for (const [name, t0] of sent) {
        const at = seen.get(name);
        if (at === undefined) lost++;
        else samples.push(at - t0);
      }
    }
    for (const w of watches) w.close();
    rows.push({
      operation: 'watch delivery',
      concurrency: c,
      summary: summarize(samples, 0),
      note: `${sent.size} writes × ${c} watches${lost ? `, ${lost} NOT DELIVERED within 30 s` : ''}`,
    });
    api.close();
    log(`api watch @${c}: done`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const fmt = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');

function find(operation: string, c: number): Row | undefined {
  return rows.find((r) => r.operation === operation && r.concurrency === c);
}

function report(): string {
  const header = ['operation', 'clients', 'n', 'p50 ms', 'p99 ms', 'ops/s', 'raw p50', 'raw p99', '×raw p50', '×raw p99', 'note'];
  const body = rows.map((r) => {
    const raw = r.raw ? find(r.raw, r.concurrency) : undefined;
    const s = r.summary;
    return [
      r.operation,
      String(r.concurrency),
      String(s.n),
      fmt(s.p50),
      fmt(s.p99),
      fmt(s.throughput),
      raw ? fmt(raw.summary.p50) : '',
      raw ? fmt(raw.summary.p99) : '',
      raw ? `${(s.p50 / raw.summary.p50).toFixed(2)}×` : '',
      raw ? `${(s.p99 / raw.summary.p99).toFixed(2)}×` : '',
      r.note ?? '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];

  const checks: Array<[string, number, number]> = [];
  const at8 = (op: string) => find(op, 8)?.summary;
  const raw8 = find('raw counter+TransactWriteItems', 8)?.summary;
  for (const op of ['create', 'update']) {
    const s = at8(op);
    if (s) checks.push([`${op} p99 at 8 clients ≤ 50 ms`, s.p99, 50]);
    if (s && raw8) {
      checks.push([`${op} p50 at 8 clients ≤ 2× raw write pair p50 (${fmt(raw8.p50)} ms)`, s.p50 / raw8.p50, 2]);
      checks.push([`${op} p99 at 8 clients ≤ 2× raw write pair p99 (${fmt(raw8.p99)} ms)`, s.p99 / raw8.p99, 2]);
    }
  }
  for (const c of levels) {
    const w = find('watch delivery', c);
    if (w) checks.push([`watch delivery p99 at ${c} clients ≤ 300 ms${w.note?.includes('NOT') ? ' (events lost!)' : ''}`, w.note?.includes('NOT') ? Number.POSITIVE_INFINITY : w.summary.p99, 300]);
  }
  out.push('', 'goal checks:');
  for (const [what, value, limit] of checks) out.push(`  ${value <= limit ? 'PASS' : 'FAIL'}  ${what}: ${fmt(value)}`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  await rawPhase();
  log('api: starting zeroplane up --ephemeral');
  const cluster = await startCluster({ tools: false });
  try {
    await crudPhase(cluster);
    await listPhase(cluster);
    await watchPhase(cluster);
  } catch (err) {
    log(`server output (tail):\n${cluster.logs().slice(-3000)}`);
    throw err;
  } finally {
    await cluster.stop();
  }
  const text = report();
  process.stdout.write(`\nZeroplane API benchmark (${started.toISOString()}${quick ? ', BENCH_QUICK' : ''}; loopback HTTPS, keep-alive)\n\n${text}\n`);
  const dir = join(repoRoot, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `api-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ started, quick, rows }, null, 2));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

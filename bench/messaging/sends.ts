/**
 * Persisted message sends per second through the real send path (group
 * commit: chat row locks, gap-free seqs, message rows, log events, direct-chat
 * feed rows, outbox), into PGlite (on disk) and PostgreSQL, at several
 * concurrencies, into one hot chat, 1,000 direct chats, 100 groups of 100 and
 * one group of 1,000 — and 1,000 groups of 2, the direct chats' traffic on the
 * groups' fan-out on read, for what the direct chats' feed rows cost. Two baselines run in the same process on the same
 * engine: a plain single-row INSERT (one durable write per request), and the
 * same send path with one transaction per send (batches of one). Then each
 * workload runs open-loop at half its peak rate, for the ack latency a
 * client sees below saturation.
 *
 *   npx tsx bench/messaging/sends.ts [postgres://…]   (or DATABASE_URL=…; without one, PGlite only)
 *   BENCH_SECONDS=4 BENCH_CONCURRENCY=1,64,1024 BENCH_ENGINES=pglite,postgres to tune
 *   BENCH_WORKLOADS=hot,direct   only the workloads whose names contain one of these
 *   BENCH_OPEN_RATE=2000   the open loop at this rate instead of half the peak: two versions compared at the same load
 *   BENCH_PIPELINE_FROM=1   LogBatching.pipelineFrom for the group-commit runs (1: a second batch beside one in flight however small)
 *
 * Each group-commit row also gives the CPU time per send, of this process
 * and of the local PostgreSQL server (bench/support/cpu-meter.ts).
 *
 * `BENCH_COMPARE_WRITES=1` instead sets a batch's two ways of writing side by
 * side — one statement per table (`INSERT … SELECT FROM unnest(…)`) and one
 * call of the server-side function `messaging.append_batch` — into 1,000
 * direct chats and 100 groups of 100, interleaved in the same run
 * (`BENCH_ROUNDS` rounds, each variant once per round, the one that goes
 * first alternating), and reports each round's ratio: on a shared host the
 * ratio holds where absolute rates drift.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatId } from '@kaif/protocol';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { type MessagingServices, createMessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import { type MessagingTables, messagingMigrations } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import type { BatchWrites } from '../../packages/server/src/modules/messaging/chat-batch.js';
import { type LogBatching, engineBatching } from '../../packages/server/src/modules/messaging/log-batcher.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { withScratchPostgres } from '../support/scratch-postgres.js';
import { type ChartSeries, writeChart } from '../support/svg-chart.js';
import { type CpuSpent, startCpuMeter } from '../support/cpu-meter.js';
import { closedLoop as runClosedLoop, round, summarize } from '../wire/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,64,1024').split(',').map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
const POSTGRES_URL = process.argv[2] ?? process.env.DATABASE_URL;
const POOL_SIZE = 16;
const COMPARE_WRITES = process.env.BENCH_COMPARE_WRITES === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WORKLOADS = process.env.BENCH_WORKLOADS?.split(',');
const OPEN_RATE = process.env.BENCH_OPEN_RATE ? Number(process.env.BENCH_OPEN_RATE) : undefined;
const PIPELINE_FROM = process.env.BENCH_PIPELINE_FROM ? Number(process.env.BENCH_PIPELINE_FROM) : undefined;
const TEXT = 'hello from the bench';

interface Figures {
  readonly count: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Row extends Figures {
  readonly engine: string;
  readonly workload: string;
  readonly variant: 'group commit' | 'one transaction per send' | 'single-row INSERT' | 'group commit, half peak rate' | 'group commit, fixed rate';
  readonly concurrency: number;
  readonly vsInsert: number;
  readonly vsOnePerSend: number | null;
  /** CPU time per acknowledged send, in µs: this process (PGlite's thread included) and the local PostgreSQL server's processes. */
  readonly cpuUs?: { readonly process: number; readonly postgres: number | null };
}

/** Who sends into which chat: the i-th send of the run. */
interface Workload {
  readonly name: string;
  readonly pick: (index: number) => { readonly userId: string; readonly chatId: string };
}

const closedLoop = (concurrency: number, operation: (index: number) => Promise<void>): Promise<Figures> => runClosedLoop(SECONDS, concurrency, operation);

/** Runs a measurement and adds what it cost in CPU per send: steadier than the rate where the host's speed drifts. */
async function metered(measure: () => Promise<Figures>, onPostgres: boolean): Promise<Figures & Pick<Row, 'cpuUs'>> {
  const stop = await startCpuMeter();
  const figures = await measure();
  const spent: CpuSpent = await stop();
  const perSend = (ms: number) => Math.round((ms * 1000) / Math.max(1, figures.count));
  return { ...figures, cpuUs: { process: perSend(spent.processMs), postgres: onPostgres && spent.postgresMs !== null ? perSend(spent.postgresMs) : null } };
}

/** Open loop: starts `rate` operations a second whatever their latency. */
async function openLoop(rate: number, operation: (index: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let launched = 0;
  while (performance.now() - started < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; launched < due; launched++) {
      const begin = performance.now();
      inFlight.push(operation(launched).then(() => void latencies.push(performance.now() - begin)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  return summarize(latencies, (performance.now() - started) / 1000);
}

// A closed loop bounds what waits by its concurrency: no admission limit, so nothing is refused.
const services = (db: Database, logBatching: LogBatching): MessagingServices =>
  createMessagingServices({
    db: db.kysely<MessagingTables>(),
    unknownUsers: async () => [],
    committed: () => undefined,
    logBatching: { maxQueued: Number.MAX_SAFE_INTEGER, ...logBatching },
  });

async function workloads(setup: MessagingServices, run: string): Promise<Workload[]> {
  const user = (name: string) => `bench-${run}-${name}`;
  const hot = await setup.chats.create(user('hot-a'), { type: 'direct', memberIds: [user('hot-b')] });
  const direct: string[] = [];
  for (let index = 0; index < 1000; index++) {
    direct.push((await setup.chats.create(user(`d${index}a`), { type: 'direct', memberIds: [user(`d${index}b`)] })).chat.id);
  }
  const pairs: string[] = [];
  for (let index = 0; index < 1000; index++) {
    pairs.push((await setup.chats.create(user(`p${index}a`), { type: 'group', title: `pair ${index}`, memberIds: [user(`p${index}b`)] })).chat.id);
  }
  const groups: string[] = [];
  for (let index = 0; index < 100; index++) {
    const members = Array.from({ length: 99 }, (_, member) => user(`g${index}m${member + 1}`));
    groups.push((await setup.chats.create(user(`g${index}m0`), { type: 'group', title: `group ${index}`, memberIds: members })).chat.id);
  }
  const big = await setup.chats.create(user('big0'), {
    type: 'group',
    title: 'big',
    memberIds: Array.from({ length: 99 }, (_, member) => user(`big${member + 1}`)),
  });
  for (let member = 100; member < 1000; member++) await setup.members.add(user('big0'), big.chat.id, user(`big${member}`));
  return [
    { name: 'one hot chat', pick: (i) => ({ userId: user(i % 2 ? 'hot-a' : 'hot-b'), chatId: hot.chat.id }) },
    { name: '1,000 direct chats', pick: (i) => ({ userId: user(`d${i % 1000}${(i >> 10) % 2 ? 'a' : 'b'}`), chatId: direct[i % 1000]! }) },
    { name: '1,000 groups of 2', pick: (i) => ({ userId: user(`p${i % 1000}${(i >> 10) % 2 ? 'a' : 'b'}`), chatId: pairs[i % 1000]! }) },
    { name: '100 groups of 100', pick: (i) => ({ userId: user(`g${i % 100}m${(i >> 7) % 100}`), chatId: groups[i % 100]! }) },
    { name: 'one group of 1,000', pick: (i) => ({ userId: user(`big${i % 1000}`), chatId: big.chat.id }) },
  ];
}

const MAX_BATCH = Number(process.env.KAIF_SEND_BATCH_MAX ?? 512);

const sender = (target: MessagingServices, workload: Workload, counter: { sent: number }) => async (index: number) => {
  const { userId, chatId } = workload.pick(index);
  await target.messages.send(userId, { chatId: chatId as ChatId, clientMsgId: `c${counter.sent++}`, text: TEXT });
};

interface CompareRow extends Figures {
  readonly engine: string;
  readonly workload: string;
  readonly concurrency: number;
  readonly round: number;
  readonly writes: BatchWrites;
}

/** The two ways a batch writes, interleaved round by round on the same chats. */
async function compareWrites(engine: string, db: Database): Promise<CompareRow[]> {
  const batching = engineBatching(db.kind);
  await db.migrate([platformMigrations, messagingMigrations]);
  const run = randomBytes(4).toString('hex');
  const variants: Record<BatchWrites, MessagingServices> = {
    statements: services(db, { maxBatch: MAX_BATCH, windowMs: 0, ...batching, writes: 'statements' }),
    function: services(db, { maxBatch: MAX_BATCH, windowMs: 0, ...batching, writes: 'function' }),
  };
  console.error(`${engine}: creating chats…`);
  const loads = (await workloads(variants.statements, run)).filter((load) => load.name === '1,000 direct chats' || load.name === '100 groups of 100');
  const counter = { sent: 0 };
  const rows: CompareRow[] = [];
  for (const concurrency of CONCURRENCIES) {
    for (const workload of loads) {
      for (let round = 1; round <= ROUNDS; round++) {
        const order: BatchWrites[] = round % 2 ? ['statements', 'function'] : ['function', 'statements'];
        for (const writes of order) {
          const figures = await closedLoop(concurrency, sender(variants[writes], workload, counter));
          console.error(`${engine}: ${workload.name} c=${concurrency} round ${round} ${writes}: ${figures.perSecond}/s p50 ${figures.p50Ms} p99 ${figures.p99Ms}`);
          rows.push({ engine, workload: workload.name, concurrency, round, writes, ...figures });
        }
      }
    }
  }
  return rows;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Prints the comparison (medians over rounds, and the median of the per-round ratios), writes its JSON and chart. */
async function publishComparison(slug: string, rows: readonly CompareRow[]): Promise<void> {
  const lines = [
    '| engine | workload | concurrency | statements: sends/s | p50 / p99 ms | function: sends/s | p50 / p99 ms | function ÷ statements (per-round ratios) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const cases = [...new Set(rows.map((r) => `${r.workload}\u0000${r.concurrency}`))];
  for (const key of cases) {
    const [workload, concurrency] = key.split('\u0000');
    const of = (writes: BatchWrites) => rows.filter((r) => r.workload === workload && String(r.concurrency) === concurrency && r.writes === writes);
    const [statements, oneCall] = [of('statements'), of('function')];
    const ratios = statements.map((row) => oneCall.find((other) => other.round === row.round)!.perSecond / row.perSecond);
    const cell = (list: CompareRow[]) => [
      Math.round(median(list.map((r) => r.perSecond))).toLocaleString('en-US'),
      `${round(median(list.map((r) => r.p50Ms)), 1)} / ${round(median(list.map((r) => r.p99Ms)), 1)}`,
    ];
    lines.push(
      `| ${rows[0]!.engine} | ${workload} | ${Number(concurrency).toLocaleString('en-US')} | ${cell(statements).join(' | ')} | ${cell(oneCall).join(' | ')} | ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')}) |`,
    );
  }
  console.log(lines.join('\n'));
  const dir = join(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  const out = join(dir, `messaging-writes-${slug}.json`);
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, rows }, null, 2)}\n`);
  const chart = join(dir, `messaging-writes-${slug}.svg`);
  await writeChart(chart, {
    title: `Statements per table vs one function call — ${rows[0]!.engine}`,
    xLabel: 'round (variants interleaved)',
    yLabel: 'sends per second',
    series: cases.flatMap((key) => {
      const [workload, concurrency] = key.split('\u0000');
      return (['statements', 'function'] as const).map((writes) => ({
        name: `${workload}, c=${concurrency}, ${writes}`,
        points: rows
          .filter((r) => r.workload === workload && String(r.concurrency) === concurrency && r.writes === writes)
          .map((r) => ({ x: r.round, y: r.perSecond })),
      }));
    }),
  });
  for (const file of [out, chart]) console.log(`wrote ${file}`);
}

async function benchEngine(engine: string, db: Database): Promise<Row[]> {
  await db.migrate([platformMigrations, messagingMigrations]);
  const kysely = db.kysely<unknown>();
  await sql`create table if not exists public.bench_bare (id bigserial primary key, chat_id uuid not null, body text not null)`.execute(kysely);
  const run = randomBytes(4).toString('hex');
  const onPostgres = db.kind === 'postgres';
  // As the messaging module configures each engine, unless BENCH_PIPELINE_FROM says otherwise.
  const batching = engineBatching(db.kind);
  const batched = services(db, { maxBatch: MAX_BATCH, windowMs: 0, ...batching, ...(PIPELINE_FROM === undefined ? {} : { pipelineFrom: PIPELINE_FROM }) });
  // Today's path before group commit: every send its own transaction, as many at once as the pool allows.
  const onePerSend = services(db, { maxBatch: 1, lanes: onPostgres ? POOL_SIZE : 1, windowMs: 0 });
  console.error(`${engine}: creating chats…`);
  const loads = (await workloads(batched, run)).filter((load) => !WORKLOADS || WORKLOADS.some((name) => load.name.includes(name)));
  const rows: Row[] = [];
  const counter = { sent: 0 };
  for (const concurrency of CONCURRENCIES) {
    console.error(`${engine}: concurrency ${concurrency}`);
    const insert = await closedLoop(concurrency, async () => {
      await sql`insert into public.bench_bare (chat_id, body) values (${loads[0]!.pick(0).chatId}, ${TEXT})`.execute(kysely);
    });
    rows.push({ engine, workload: '—', variant: 'single-row INSERT', concurrency, ...insert, vsInsert: 1, vsOnePerSend: null });
    for (const workload of loads) {
      const single = await closedLoop(concurrency, sender(onePerSend, workload, counter));
      const group = await metered(() => closedLoop(concurrency, sender(batched, workload, counter)), onPostgres);
      const base = { engine, workload: workload.name, concurrency };
      rows.push({ ...base, variant: 'one transaction per send', ...single, vsInsert: single.perSecond / insert.perSecond, vsOnePerSend: 1 });
      rows.push({
        ...base,
        variant: 'group commit',
        ...group,
        vsInsert: group.perSecond / insert.perSecond,
        vsOnePerSend: group.perSecond / single.perSecond,
      });
    }
  }
  const bestInsert = Math.max(...rows.filter((row) => row.variant === 'single-row INSERT').map((row) => row.perSecond));
  for (const workload of loads) {
    const peak = Math.max(...rows.filter((row) => row.workload === workload.name && row.variant === 'group commit').map((row) => row.perSecond));
    const rate = OPEN_RATE ?? peak / 2;
    console.error(`${engine}: ${workload.name} open loop at ${OPEN_RATE === undefined ? 'half its peak' : 'a fixed rate'} (${Math.round(rate)}/s)`);
    const open = await metered(() => openLoop(rate, sender(batched, workload, counter)), onPostgres);
    rows.push({
      engine,
      workload: workload.name,
      variant: OPEN_RATE === undefined ? 'group commit, half peak rate' : 'group commit, fixed rate',
      concurrency: 0,
      ...open,
      vsInsert: open.perSecond / bestInsert,
      vsOnePerSend: null,
    });
  }
  return rows;
}

async function charts(dir: string, rows: readonly Row[]): Promise<string[]> {
  const written: string[] = [];
  for (const engine of [...new Set(rows.map((row) => row.engine))]) {
    const of = (variant: Row['variant'], workload?: string) =>
      rows.filter((row) => row.engine === engine && row.variant === variant && (workload === undefined || row.workload === workload));
    const workloadsRun = [...new Set(of('group commit').map((row) => row.workload))];
    const throughput: ChartSeries[] = [
      ...workloadsRun.map((workload) => ({ name: workload, points: of('group commit', workload).map((r) => ({ x: r.concurrency, y: r.perSecond })) })),
      { name: 'single-row INSERT', points: of('single-row INSERT').map((r) => ({ x: r.concurrency, y: r.perSecond })) },
      {
        name: 'one txn per send (1k chats)',
        points: of('one transaction per send', '1,000 direct chats').map((r) => ({ x: r.concurrency, y: r.perSecond })),
      },
    ];
    const slug = engine.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
    const throughputFile = join(dir, `messaging-sends-${slug}-throughput.svg`);
    await writeChart(throughputFile, {
      title: `Acknowledged sends per second — ${engine}`,
      xLabel: 'concurrent senders',
      yLabel: 'sends per second',
      series: throughput,
      xScale: 'log',
      yScale: 'log',
    });
    const latencyFile = join(dir, `messaging-sends-${slug}-latency.svg`);
    await writeChart(latencyFile, {
      title: `Ack latency, group commit — ${engine}`,
      xLabel: 'concurrent senders',
      yLabel: 'milliseconds',
      series: workloadsRun.flatMap((workload) => [
        { name: `${workload} p50`, points: of('group commit', workload).map((r) => ({ x: r.concurrency, y: r.p50Ms })) },
        { name: `${workload} p99`, points: of('group commit', workload).map((r) => ({ x: r.concurrency, y: r.p99Ms })) },
      ]),
      xScale: 'log',
      yScale: 'log',
    });
    written.push(throughputFile, latencyFile);
  }
  return written;
}

async function main(): Promise<void> {
  if (ENGINES.includes('pglite')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'kaif-bench-'));
    const pglite = await openPgliteDatabase({ dataDir });
    try {
      if (COMPARE_WRITES) await publishComparison('pglite', await compareWrites('PGlite (on disk)', pglite));
      else await publish('pglite', await benchEngine('PGlite (on disk)', pglite));
    } finally {
      await pglite.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  if (POSTGRES_URL && ENGINES.includes('postgres')) {
    await withScratchPostgres(POSTGRES_URL, async (url) => {
      const logger = createLogger('warn');
      const registry = new Registry();
      // Generous queues: this measures throughput; shedding under overload is measured in test/resilience.
      const policy = createDependencyPolicy('postgres', { logger, registry }, { queue: 100_000 });
      const db = await openPostgresDatabase({ url, poolSize: POOL_SIZE, policy, logger, registry, maxWaiting: 100_000 });
      try {
        if (COMPARE_WRITES) await publishComparison('postgres', await compareWrites('PostgreSQL 15', db));
        else await publish('postgres', await benchEngine('PostgreSQL 15', db));
      } finally {
        await db.close();
      }
    });
  }
}

const cpuCell = ({ cpuUs }: Row): string => (cpuUs === undefined ? '—' : `${cpuUs.process} / ${cpuUs.postgres ?? '—'}`);

/** Prints one engine's table and writes its JSON and charts. */
async function publish(slug: string, rows: readonly Row[]): Promise<void> {
  const number = (value: number) => Math.round(value).toLocaleString('en-US');
  console.log(
    [
      '| engine | workload | variant | concurrency | sends/s | p50 ms | p99 ms | vs INSERT | vs one txn per send | CPU µs per send: this process / PostgreSQL |',
      '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.engine} | ${r.workload} | ${r.variant} | ${r.concurrency || 'open loop'} | ${number(r.perSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.vsInsert.toFixed(2)} | ${r.vsOnePerSend === null ? '—' : `${r.vsOnePerSend.toFixed(1)}×`} | ${cpuCell(r)} |`,
      ),
    ].join('\n'),
  );
  const dir = join(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  const out = join(dir, `messaging-sends-${slug}.json`);
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, rows }, null, 2)}\n`);
  for (const file of [out, ...(await charts(dir, rows))]) console.log(`wrote ${file}`);
}

await main();

/**
 * Message search on a synthetic corpus: search p50/p99 for a user in
 * `BENCH_USER_CHATS` chats, through the real search code (ranked, with
 * snippets), against a baseline in the same run on the same data: an
 * unindexed ILIKE over the same chats (what a server without full-text
 * search would do). Then the index's cost on sends: acknowledged sends per
 * second through the real send path with the search column and its GIN
 * index, and without them, interleaved (with, without, without, with).
 *
 *   npx tsx bench/search/search.ts [postgres://…]   (or DATABASE_URL=…; without one, PGlite only)
 *   BENCH_MESSAGES=50000 BENCH_CHATS=500 BENCH_USER_CHATS=100 BENCH_ROUNDS=15
 *   BENCH_SEND_SECONDS=2 BENCH_ENGINES=pglite,postgres   (the defaults: under a minute)
 * The issue's full size: BENCH_MESSAGES=1000000 BENCH_CHATS=10000.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatId } from '@kaif/protocol';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { type MessagingServices, createMessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import { type MessagingTables, messagingMigrations } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import { createMessageSearchIndex } from '../../packages/server/src/modules/messaging/search-index.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { withScratchPostgres } from '../support/scratch-postgres.js';
import { writeChart } from '../support/svg-chart.js';
import { summarize } from '../wire/stats.js';
import { type BenchQuery, QUERIES, loadCorpus, textOf } from './corpus.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const CHATS = Number(process.env.BENCH_CHATS ?? 500);
const USER_CHATS = Number(process.env.BENCH_USER_CHATS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const SEND_SECONDS = Number(process.env.BENCH_SEND_SECONDS ?? 2);
const SEND_CONCURRENCY = 64;
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
const POSTGRES_URL = process.argv[2] ?? process.env.DATABASE_URL;
const USER = 'bench-reader';

interface SearchRow {
  readonly engine: string;
  readonly query: string;
  readonly hits: number;
  readonly baselineHits: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  /** Baseline p50 ÷ search p50: above 1, search is faster. */
  readonly speedup: number;
}

interface SendRow {
  readonly engine: string;
  readonly index: 'with index' | 'without index';
  readonly round: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface EngineResult {
  readonly engine: string;
  readonly loadSeconds: number;
  readonly bytesPerMessage: { readonly text: number; readonly vector: number; readonly gin: number };
  readonly plan: string;
  readonly search: SearchRow[];
  readonly sends: SendRow[];
}

const services = (db: Database, lanes: number): MessagingServices =>
  createMessagingServices({
    db: db.kysely<MessagingTables>(),
    unknownUsers: async () => [],
    committed: () => undefined,
    logBatching: { maxBatch: 512, lanes, windowMs: 0, maxQueued: Number.MAX_SAFE_INTEGER },
  });

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** The baseline: newest first, like history, over the same chats; no index helps with a substring. */
async function ilike(db: Database, query: BenchQuery): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    select m.id from messaging.messages m
    where m.chat_id = any(array(select chat_id from messaging.members where user_id = ${USER}))
      and m.deleted_at is null
      ${sql.join(query.like.map((part) => sql`and m.text ilike ${`%${part}%`}`), sql` `)}
    order by m.created_at desc limit 20`.execute(db.kysely<unknown>());
  return rows.length;
}

async function measureSearch(engine: string, db: Database, target: MessagingServices): Promise<SearchRow[]> {
  const rows: SearchRow[] = [];
  for (const query of QUERIES) {
    const search: number[] = [];
    const baseline: number[] = [];
    let hits = 0;
    let baselineHits = 0;
    // Interleaved, one of each per round, so drift on a shared host hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      const found = await timed(() => target.search.search(USER, { q: query.q, limit: 20 }));
      const scanned = await timed(() => ilike(db, query));
      search.push(found.ms);
      baseline.push(scanned.ms);
      hits = found.value.messages.length;
      baselineHits = scanned.value;
    }
    const [fts, scan] = [summarize(search, 1), summarize(baseline, 1)];
    rows.push({
      engine,
      query: query.name,
      hits,
      baselineHits,
      p50Ms: fts.p50Ms,
      p99Ms: fts.p99Ms,
      baselineP50Ms: scan.p50Ms,
      baselineP99Ms: scan.p99Ms,
      speedup: scan.p50Ms / fts.p50Ms,
    });
    console.error(`${engine}: ${query.name}: search p50 ${fts.p50Ms} ms, ILIKE p50 ${scan.p50Ms} ms`);
  }
  return rows;
}

/** EXPLAIN ANALYZE of the search's main statement, as the service sends it (rare word). */
async function plan(db: Database): Promise<string> {
  const q = QUERIES[1]!.q;
  const { rows } = await sql<Record<string, string>>`
    explain analyze
    select m.id, ts_rank(m.search, query) as rank
    from messaging.messages m, (select (plainto_tsquery('russian', ${q}) || to_tsquery('simple', ${`${q}:*`})) as query) q
    where m.search @@ q.query and m.deleted_at is null
      and m.chat_id = any(array(select mem.chat_id from messaging.members mem join messaging.chats c on c.id = mem.chat_id
                                where mem.user_id = ${USER} and c.type = any(${['direct', 'group', 'channel']}::text[])))
    order by rank desc, m.created_at desc, m.id desc limit 21`.execute(db.kysely<unknown>());
  return rows.map((row) => Object.values(row)[0]).join('\n');
}

async function bytesPerMessage(db: Database): Promise<EngineResult['bytesPerMessage']> {
  const { rows } = await sql<{ text: number; vector: number; gin: number }>`
    select avg(pg_column_size(text))::float8 as text, avg(pg_column_size(search))::float8 as vector,
           (pg_relation_size('messaging.messages_search')::float8 / greatest(count(*), 1)) as gin
    from messaging.messages`.execute(db.kysely<unknown>());
  const row = rows[0]!;
  return { text: Math.round(row.text), vector: Math.round(row.vector), gin: Math.round(row.gin) };
}

/** Sends into the user's chats, closed loop, texts from the corpus's vocabulary. */
async function sendRound(engine: string, target: MessagingServices, index: SendRow['index'], round: number, counter: { n: number }): Promise<SendRow> {
  const latencies: number[] = [];
  const deadline = performance.now() + SEND_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SEND_CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const n = counter.n++;
        const begin = performance.now();
        await target.messages.send(USER, { chatId: chatIds[n % USER_CHATS]! as ChatId, clientMsgId: `s${n}`, text: textOf(n) });
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const figures = summarize(latencies, (performance.now() - started) / 1000);
  console.error(`${engine}: sends ${index}, round ${round}: ${figures.perSecond}/s`);
  return { engine, index, round, perSecond: figures.perSecond, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms };
}

/** The send phase's chats: groups the bench user owns. */
let chatIds: string[] = [];

/** With, without, without, with: each variant once first and once second. */
async function measureSends(engine: string, db: Database, target: MessagingServices): Promise<SendRow[]> {
  const kysely = db.kysely<unknown>();
  const counter = { n: 0 };
  const rows: SendRow[] = [];
  rows.push(await sendRound(engine, target, 'with index', 1, counter));
  await sql`alter table messaging.messages drop column search`.execute(kysely);
  rows.push(await sendRound(engine, target, 'without index', 1, counter));
  rows.push(await sendRound(engine, target, 'without index', 2, counter));
  await createMessageSearchIndex.up(kysely);
  rows.push(await sendRound(engine, target, 'with index', 2, counter));
  return rows;
}

async function benchEngine(engine: string, db: Database, lanes: number): Promise<EngineResult> {
  await db.migrate([platformMigrations, messagingMigrations]);
  const kysely = db.kysely<unknown>();
  const target = services(db, lanes);
  chatIds = [];
  for (let n = 0; n < USER_CHATS; n++) chatIds.push((await target.chats.create(USER, { type: 'group', title: `send ${n}` })).chat.id);
  // Sends first, on a small table: re-adding the column after dropping it rewrites the table.
  const sends = await measureSends(engine, db, target);
  await sql`truncate messaging.messages, messaging.chat_events, messaging.members, messaging.chats, messaging.user_state, messaging.user_feed, platform.outbox cascade`.execute(kysely);
  console.error(`${engine}: loading ${MESSAGES.toLocaleString('en-US')} messages over ${CHATS.toLocaleString('en-US')} chats…`);
  const load = await timed(() =>
    loadCorpus(kysely, { messages: MESSAGES, chats: CHATS, userChats: USER_CHATS }, USER, (done) => console.error(`${engine}: ${done.toLocaleString('en-US')}`)),
  );
  const search = await measureSearch(engine, db, target);
  return { engine, loadSeconds: Math.round(load.ms / 100) / 10, bytesPerMessage: await bytesPerMessage(db), plan: await plan(db), search, sends };
}

async function publish(results: readonly EngineResult[]): Promise<void> {
  const number = (value: number) => Math.round(value).toLocaleString('en-US');
  const lines = [
    `${MESSAGES.toLocaleString('en-US')} messages over ${CHATS.toLocaleString('en-US')} chats; the reader is in ${USER_CHATS}; ${ROUNDS} rounds per query`,
    '',
    '| engine | query | hits (search / ILIKE) | search p50 / p99 ms | ILIKE p50 / p99 ms | ILIKE p50 ÷ search p50 |',
    '|---|---|---:|---:|---:|---:|',
    ...results.flatMap((result) =>
      result.search.map(
        (r) => `| ${r.engine} | ${r.query} | ${r.hits} / ${r.baselineHits} | ${r.p50Ms} / ${r.p99Ms} | ${r.baselineP50Ms} / ${r.baselineP99Ms} | ${r.speedup.toFixed(1)}× |`,
      ),
    ),
    '',
    '| engine | sends/s with index (rounds) | without index (rounds) | with ÷ without | load s | bytes per message: text / vector / GIN |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map((result) => {
      const of = (index: SendRow['index']) => result.sends.filter((row) => row.index === index).map((row) => row.perSecond);
      const [withIndex, without] = [of('with index'), of('without index')];
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
      const { text, vector, gin } = result.bytesPerMessage;
      return `| ${result.engine} | ${number(mean(withIndex))} (${withIndex.map(number).join(', ')}) | ${number(mean(without))} (${without.map(number).join(', ')}) | ${(mean(withIndex) / mean(without)).toFixed(2)} | ${result.loadSeconds} | ${text} / ${vector} / ${gin} |`;
    }),
  ];
  console.log(lines.join('\n'));
  for (const result of results) console.log(`\nEXPLAIN ANALYZE, ${result.engine}, rare word:\n${result.plan}`);
  const dir = join(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  // A corpus of another size writes beside the default run's files instead of over them.
  const name = MESSAGES === 50_000 ? 'search' : `search-${MESSAGES}`;
  const out = join(dir, `${name}.json`);
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), messages: MESSAGES, chats: CHATS, userChats: USER_CHATS, rounds: ROUNDS, results }, null, 2)}\n`);
  const chart = join(dir, `${name}-latency.svg`);
  await writeChart(chart, {
    title: `Search p50 for a user in ${USER_CHATS} chats, ${MESSAGES.toLocaleString('en-US')} messages`,
    xLabel: 'query (1 common, 2 rare, 3 Russian form, 4 prefix, 5 two words)',
    yLabel: 'milliseconds (p50)',
    kind: 'bar',
    series: results.flatMap((result) => [
      { name: `${result.engine} full-text`, points: result.search.map((r, index) => ({ x: index + 1, y: Math.max(r.p50Ms, 0.01) })) },
      { name: `${result.engine} ILIKE`, points: result.search.map((r, index) => ({ x: index + 1, y: Math.max(r.baselineP50Ms, 0.01) })) },
    ]),
  });
  for (const file of [out, chart]) console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  const results: EngineResult[] = [];
  if (ENGINES.includes('pglite')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'kaif-bench-search-'));
    const pglite = await openPgliteDatabase({ dataDir });
    try {
      results.push(await benchEngine('PGlite (on disk)', pglite, 1));
    } finally {
      await pglite.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  if (POSTGRES_URL && ENGINES.includes('postgres')) {
    await withScratchPostgres(POSTGRES_URL, async (url) => {
      const logger = createLogger('warn');
      const registry = new Registry();
      // Loading a slice of the corpus is one long statement: no per-attempt timeout to speak of.
      const policy = createDependencyPolicy('postgres', { logger, registry }, { queue: 100_000, timeoutMs: 600_000 });
      const db = await openPostgresDatabase({ url, poolSize: 16, policy, logger, registry, maxWaiting: 100_000 });
      try {
        results.push(await benchEngine('PostgreSQL 15', db, 2));
      } finally {
        await db.close();
      }
    });
  }
  await publish(results);
}

await main();

/**
 * Persisted message sends per second, through the real send path (chat row
 * lock, gap-free seq, message row, log event, feed rows, outbox), into PGlite
 * and PostgreSQL, into one chat and spread over 1,000 chats. The baseline is
 * a plain single-row INSERT into a bare table on the same engine, in the same
 * run: the ceiling for one durable write per request.
 *
 *   npx tsx bench/messaging/sends.ts [postgres://…]   (or DATABASE_URL=…)
 *   BENCH_SECONDS=5 BENCH_CONCURRENCY=16 to tune; without a URL, PGlite only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatId } from '@kaif/protocol';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createMessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import { type MessagingTables, messagingMigrations } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SPREAD_CHATS = 1000;
const POSTGRES_URL = process.argv[2] ?? process.env.DATABASE_URL;

interface Result {
  readonly engine: string;
  readonly workload: string;
  readonly operations: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly vsBaseline: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Closed loop: `concurrency` workers repeat `operation` until the time is up. */
async function measure(operation: (worker: number, index: number) => Promise<void>, concurrency: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        await operation(worker, index++);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operations: latencies.length,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

async function benchEngine(engine: string, db: Database, concurrency: number): Promise<Result[]> {
  await db.migrate([platformMigrations, messagingMigrations]);
  const kysely = db.kysely<unknown>();
  await sql`create table if not exists public.bench_bare (id bigserial primary key, chat_id uuid not null, body text not null)`.execute(kysely);
  const services = createMessagingServices({
    db: db.kysely<MessagingTables>(),
    unknownUsers: async () => [],
    committed: () => undefined,
  });
  const run = randomBytes(4).toString('hex');
  const one = await services.chats.create(`bench-${run}-a`, { type: 'direct', memberIds: [`bench-${run}-b`] });
  const spread: string[] = [];
  for (let index = 0; index < SPREAD_CHATS; index++) {
    const created = await services.chats.create(`bench-${run}-u${index}`, { type: 'direct', memberIds: [`bench-${run}-v${index}`] });
    spread.push(created.chat.id);
  }
  const baseline = await measure(async () => {
    await sql`insert into public.bench_bare (chat_id, body) values (${one.chat.id}, ${'hello from the bench'})`.execute(kysely);
  }, concurrency);
  const single = await measure(async (worker, index) => {
    await services.messages.send(`bench-${run}-a`, { chatId: one.chat.id as ChatId, clientMsgId: `s${worker}-${index}`, text: 'hello from the bench' });
  }, concurrency);
  const spreadResult = await measure(async (worker, index) => {
    const chat = index % SPREAD_CHATS;
    await services.messages.send(`bench-${run}-u${chat}`, {
      chatId: spread[chat] as ChatId,
      clientMsgId: `m${worker}-${index}`,
      text: 'hello from the bench',
    });
  }, concurrency);
  const row = (workload: string, figures: typeof baseline): Result => ({
    engine,
    workload,
    ...figures,
    vsBaseline: figures.perSecond / baseline.perSecond,
  });
  return [
    row('baseline: single-row INSERT', baseline),
    row('send, one chat', single),
    row(`send, ${SPREAD_CHATS} chats`, spreadResult),
  ];
}

async function withScratchPostgres<T>(url: string, work: (scratchUrl: string) => Promise<T>): Promise<T> {
  const name = `kaif_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  try {
    return await work(scratch.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'kaif-bench-'));
  const pglite = await openPgliteDatabase({ dataDir });
  try {
    // PGlite runs one transaction at a time; more workers only queue.
    results.push(...(await benchEngine('pglite (on disk)', pglite, 4)));
  } finally {
    await pglite.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (POSTGRES_URL) {
    await withScratchPostgres(POSTGRES_URL, async (url) => {
      const logger = createLogger('warn');
      const registry = new Registry();
      const db = await openPostgresDatabase({
        url,
        poolSize: CONCURRENCY,
        policy: createDependencyPolicy('postgres', { logger, registry }),
        logger,
        registry,
      });
      try {
        results.push(...(await benchEngine('postgresql', db, CONCURRENCY)));
      } finally {
        await db.close();
      }
    });
  }
  const lines = [
    `| engine | workload | ops | per second | p50 ms | p99 ms | vs baseline |`,
    `|---|---|---:|---:|---:|---:|---:|`,
    ...results.map(
      (r) =>
        `| ${r.engine} | ${r.workload} | ${r.operations} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.vsBaseline.toFixed(2)} |`,
    ),
  ];
  console.log(lines.join('\n'));
  const out = join(import.meta.dirname, '..', 'results', 'messaging-sends.json');
  await mkdir(join(import.meta.dirname, '..', 'results'), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, concurrency: CONCURRENCY, results }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out}`);
}

await main();

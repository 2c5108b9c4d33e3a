/**
 * Internal wallet transfers per second through the transfer service (one
 * database transaction each: idempotency-keyed ledger transaction, postings,
 * both balance rows locked in order and moved under the non-negative check,
 * the transfer row, the audit row, the two balance events on the outbox),
 * into PGlite (on disk) and PostgreSQL, at several concurrencies, between
 * 1,000 users at random and between 10 hot users (contention on their
 * balance rows). The baseline, same process, same engine, same run: a
 * single-row INSERT into a bare table shaped like the transfer row (one
 * durable write per request). After the runs the ledger is reconciled: every
 * transaction balanced, no balance negative, balances equal to their
 * postings, the money held unchanged — a run that breaks one fails.
 *
 *   npx tsx bench/wallet/transfers.ts [postgres://…]   (or DATABASE_URL=…; without one, PGlite only)
 *   BENCH_SECONDS=4 BENCH_CONCURRENCY=1,16,64 BENCH_ENGINES=pglite,postgres to tune
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import type { IdentityApi } from '../../packages/server/src/modules/identity/api.js';
import type { MessagingApi } from '../../packages/server/src/modules/messaging/api.js';
import { AssetRegistry } from '../../packages/server/src/modules/wallet/assets.js';
import { reconcileLedger } from '../../packages/server/src/modules/wallet/ledger.js';
import { TransferService } from '../../packages/server/src/modules/wallet/transfer-service.js';
import { WalletService } from '../../packages/server/src/modules/wallet/wallet-service.js';
import { type WalletTables, walletMigrations } from '../../packages/server/src/modules/wallet/wallet-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { KaifError } from '../../packages/server/src/platform/http/kaif-error.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { withScratchPostgres } from '../support/scratch-postgres.js';
import { type ChartSeries, writeChart } from '../support/svg-chart.js';
import { closedLoop as runClosedLoop, round } from '../wire/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
const POSTGRES_URL = process.argv[2] ?? process.env.DATABASE_URL;
const POOL_SIZE = 16;
const USERS = 1000;
const HOT_USERS = 10;
const FUNDS = 10n ** 30n;

interface Figures {
  readonly count: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Row extends Figures {
  readonly engine: string;
  readonly workload: string;
  readonly concurrency: number;
  readonly vsInsert: number;
  readonly refused: number;
}

const closedLoop = (concurrency: number, operation: (index: number) => Promise<void>): Promise<Figures> => runClosedLoop(SECONDS, concurrency, operation);

async function openEngine(engine: string, location: string): Promise<Database> {
  if (engine === 'pglite') return openPgliteDatabase({ dataDir: location });
  const logger = createLogger('silent');
  const registry = new Registry();
  return openPostgresDatabase({ url: location, poolSize: POOL_SIZE, policy: createDependencyPolicy('postgres', { logger, registry }), logger, registry });
}

async function runEngine(engine: string, location: string): Promise<Row[]> {
  const db = await openEngine(engine, location);
  const label = engine === 'pglite' ? 'PGlite (on disk)' : 'PostgreSQL';
  try {
    await db.migrate([platformMigrations, walletMigrations]);
    await sql`create table public.bench_transfer_insert (id uuid primary key, from_user_id uuid not null, to_user_id uuid not null, asset text not null, amount numeric(78,0) not null, created_at timestamptz not null default now())`.execute(
      db.kysely(),
    );
    const wallet = new WalletService(db.kysely<WalletTables>(), AssetRegistry.fromConfig('ETH,TON', undefined));
    // The bench moves money only between users it funded itself: no chat, so messaging is never asked;
    // the receiver is known to exist (the HTTP route's identity lookup is left out).
    const identity = { getUser: async (id: string) => ({ id }) } as unknown as IdentityApi;
    const transfers = new TransferService(wallet, {} as MessagingApi, identity, createLogger('silent'));
    const users = Array.from({ length: USERS }, () => randomUUID());
    for (const user of users) {
      await wallet.post({
        idempotencyKey: `bench-deposit:${user}`,
        kind: 'deposit',
        actor: { kind: 'system', id: 'bench' },
        postings: [
          { account: { platform: 'chain_clearing' }, asset: 'ETH', amount: -FUNDS },
          { account: { user }, asset: 'ETH', amount: FUNDS },
        ],
      });
    }
    const heldBefore = BigInt((await reconcileLedger(wallet.db)).heldByAsset.ETH ?? '0');
    const rows: Row[] = [];
    for (const concurrency of CONCURRENCIES) {
      const insert = await closedLoop(concurrency, async () => {
        await sql`insert into public.bench_transfer_insert (id, from_user_id, to_user_id, asset, amount) values (${randomUUID()}, ${users[0]}, ${users[1]}, 'ETH', 1)`.execute(db.kysely());
      });
      rows.push({ engine: label, workload: 'single-row INSERT (baseline)', concurrency, ...insert, vsInsert: 1, refused: 0 });
      for (const [workload, population] of [
        [`${USERS} users at random`, USERS],
        [`${HOT_USERS} hot users`, HOT_USERS],
      ] as const) {
        let refused = 0;
        const figures = await closedLoop(concurrency, async (index) => {
          const from = users[Math.floor(Math.random() * population)]!;
          let to = users[Math.floor(Math.random() * population)]!;
          if (to === from) to = users[(users.indexOf(from) + 1) % population]!;
          try {
            await transfers.transfer({
              fromUserId: from,
              toUserId: to,
              asset: 'ETH',
              amount: BigInt(1 + (index % 1000)),
              idempotencyKey: `bench-${engine}-${concurrency}-${workload}-${index}`,
              actor: { kind: 'user', id: from, sessionId: null },
            });
          } catch (error) {
            if (error instanceof KaifError) refused += 1;
            else throw error;
          }
        });
        rows.push({ engine: label, workload, concurrency, ...figures, vsInsert: round(figures.perSecond / Math.max(1, insert.perSecond)), refused });
      }
    }
    const check = await reconcileLedger(wallet.db);
    const heldAfter = BigInt(check.heldByAsset.ETH ?? '0');
    if (!check.ok || heldAfter !== heldBefore) {
      throw new Error(`ledger invariants broken after the run: ${JSON.stringify({ ...check, heldBefore: heldBefore.toString() })}`);
    }
    const transactions = await sql<{ n: string }>`select count(*)::text as n from wallet.transactions`.execute(db.kysely());
    console.log(`${label}: ledger reconciled after ${transactions.rows[0]?.n} transactions: balanced, none negative, balances = postings, held unchanged`);
    return rows;
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const results: Row[] = [];
  const resultsDir = join(import.meta.dirname, '..', 'results');
  await mkdir(resultsDir, { recursive: true });
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !POSTGRES_URL) {
      console.log('PostgreSQL skipped: pass a URL or set DATABASE_URL');
      continue;
    }
    let rows: Row[];
    if (engine === 'pglite') {
      const dir = await mkdtemp(join(tmpdir(), 'kaif-bench-wallet-'));
      try {
        rows = await runEngine('pglite', dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } else {
      rows = await withScratchPostgres(POSTGRES_URL!, (url) => runEngine('postgres', url));
    }
    results.push(...rows);
    await writeFile(join(resultsDir, `wallet-transfers-${engine}.json`), `${JSON.stringify({ seconds: SECONDS, users: USERS, hotUsers: HOT_USERS, rows }, null, 2)}\n`);
    const series: ChartSeries[] = [...new Set(rows.map((row) => row.workload))].map((workload) => ({
      name: workload,
      points: rows.filter((row) => row.workload === workload).map((row) => ({ x: row.concurrency, y: row.perSecond })),
    }));
    await writeChart(join(resultsDir, `wallet-transfers-${engine}.svg`), {
      title: `Wallet transfers per second, ${rows[0]?.engine ?? engine}`,
      xLabel: 'concurrent senders',
      yLabel: 'acknowledged per second',
      series,
      kind: 'bar',
    });
  }
  console.log('| engine | workload | concurrency | per second | p50 / p99 ms | × INSERT | refused |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const row of results) {
    console.log(`| ${row.engine} | ${row.workload} | ${row.concurrency} | ${row.perSecond} | ${row.p50Ms} / ${row.p99Ms} | ${row.vsInsert} | ${row.refused} |`);
  }
}

await main();

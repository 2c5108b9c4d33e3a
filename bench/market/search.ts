/**
 * The marketplace's faceted catalogue search over a synthetic catalogue of
 * `BENCH_LISTINGS` approved listings (default 100,000): p50/p99 of the real
 * search code (full-text match, filters, ranked page and all five facets:
 * category, price buckets, attributes, rating, in stock), against a
 * baseline measured in the same run on the same rows: a plain ILIKE with
 * the same filters returning one page, newest first, and no facets (what a
 * shop without full-text search does). The two are interleaved per round,
 * so drift on a shared host hits both alike.
 *
 *   npx tsx bench/market/search.ts [postgres://…]   (or DATABASE_URL=…; without one, PGlite only)
 *   BENCH_LISTINGS=100000 BENCH_ROUNDS=30 BENCH_ENGINES=pglite,postgres
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { CatalogueSearch, type CatalogueQuery } from '../../packages/server/src/modules/market/catalogue-search.js';
import { type MarketTables, marketMigrations } from '../../packages/server/src/modules/market/market-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { withScratchPostgres } from '../support/scratch-postgres.js';
import { writeChart } from '../support/svg-chart.js';
import { summarize } from '../wire/stats.js';

const LISTINGS = Number(process.env.BENCH_LISTINGS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
const POSTGRES_URL = process.argv[2] ?? process.env.DATABASE_URL;

const NOUNS = ['lamp', 'sweater', 'chair', 'table', 'kettle', 'guitar', 'bicycle', 'camera', 'book', 'watch', 'свитер', 'лампа', 'стул', 'чайник', 'книга', 'часы'];
const ADJECTIVES = ['red', 'wooden', 'vintage', 'new', 'small', 'large', 'handmade', 'красный', 'деревянный', 'новый', 'старинный', 'большой'];
const CATEGORIES = Array.from({ length: 20 }, (_, index) => `category-${index}`);
const COLORS = ['red', 'blue', 'green', 'black', 'white', 'brown', 'grey', 'yellow'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
/** Rare words: each in about 0.05 % of the listings. */
const RARE = Array.from({ length: 2000 }, (_, index) => `r${index.toString(36)}q`);

interface BenchQuery {
  readonly name: string;
  readonly query: CatalogueQuery;
  /** Substrings the ILIKE baseline requires (all of them), in the title or the description. */
  readonly like: readonly string[];
}

const QUERIES: readonly BenchQuery[] = [
  { name: 'common word + category + in stock', query: { text: 'lamp', category: 'category-3', inStock: true }, like: ['lamp'] },
  { name: 'two words', query: { text: 'vintage guitar' }, like: ['vintage', 'guitar'] },
  { name: 'rare word', query: { text: RARE[777] }, like: [RARE[777]!] },
  { name: 'Russian form (свитера)', query: { text: 'свитера' }, like: ['свитера'] },
  { name: 'prefix being typed (bicy)', query: { text: 'bicy' }, like: ['bicy'] },
  {
    name: 'filters only: category, price, colour, rating ≥ 2',
    query: { category: 'category-7', asset: 'ETH', minPrice: '1000', maxPrice: '100000', attributes: [{ key: 'color', value: 'blue' }], minRating: 2 },
    like: [],
  },
];

interface Row {
  readonly engine: string;
  readonly query: string;
  readonly total: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  /** Search p99 ÷ baseline p99: the cost of ranking and five facets over a scan returning one page. */
  readonly p99Ratio: number;
}

const pick = (list: readonly string[], expression: string) => `(array[${list.map((word) => `'${word}'`).join(',')}])[1 + (${expression}) % ${list.length}]`;

/** The catalogue, generated inside the database (one INSERT … SELECT per slice). */
async function loadCatalogue(db: Kysely<unknown>, progress: (done: number) => void): Promise<void> {
  await sql`insert into market.sellers (user_id, store_name) select 'seller-' || g, 'Store ' || g from generate_series(0, 499) g`.execute(db);
  const slice = 20_000;
  for (let from = 0; from < LISTINGS; from += slice) {
    const to = Math.min(from + slice, LISTINGS) - 1;
    await sql`
      insert into market.listings (id, seller_id, kind, title, description, category, asset, price, stock, attributes, status, rating_sum, rating_count, created_at)
      select md5('bench-listing-' || g)::uuid, 'seller-' || (g % 500), 'product',
        ${sql.raw(pick(ADJECTIVES, 'g * 7'))} || ' ' || ${sql.raw(pick(NOUNS, 'g * 13 / 7'))},
        ${sql.raw(pick(ADJECTIVES, 'g * 3 + 1'))} || ' ' || ${sql.raw(pick(NOUNS, 'g / 3'))} || ' in good shape ' || ${sql.raw(pick(RARE, 'g'))},
        ${sql.raw(pick(CATEGORIES, 'g * 11'))}, 'ETH', (10 + (g * 7919) % 1000000)::numeric,
        (g * 31) % 7,
        jsonb_build_object('color', ${sql.raw(pick(COLORS, 'g * 5'))}, 'size', ${sql.raw(pick(SIZES, 'g * 3'))}),
        case when g % 20 = 0 then 'pending' else 'approved' end,
        (g % 5) * ((g / 5) % 4 + 1), (g / 5) % 4 + 1,
        now() - (g || ' seconds')::interval
      from generate_series(${from}::int, ${to}::int) g`.execute(db);
    progress(to + 1);
  }
  await sql`analyze market.listings`.execute(db);
}

/** The baseline: the same filters, a substring match, one page newest first, no facets. */
async function baseline(db: Kysely<unknown>, query: BenchQuery): Promise<number> {
  const clauses = [sql`status = 'approved'`];
  for (const part of query.like) clauses.push(sql`(title ilike ${`%${part}%`} or description ilike ${`%${part}%`})`);
  const q = query.query;
  if (q.category) clauses.push(sql`category = ${q.category}`);
  if (q.inStock) clauses.push(sql`stock > 0`);
  if (q.asset) clauses.push(sql`asset = ${q.asset}`);
  if (q.minPrice) clauses.push(sql`price >= ${q.minPrice}::numeric`);
  if (q.maxPrice) clauses.push(sql`price <= ${q.maxPrice}::numeric`);
  for (const attribute of q.attributes ?? []) clauses.push(sql`attributes @> ${JSON.stringify({ [attribute.key]: attribute.value })}::jsonb`);
  if (q.minRating) clauses.push(sql`rating_count > 0 and rating_sum >= ${q.minRating} * rating_count`);
  const { rows } = await sql<{ id: string }>`select id, title, price from market.listings where ${sql.join(clauses, sql` and `)} order by created_at desc limit 20`.execute(db);
  return rows.length;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function benchEngine(engine: string, db: Database): Promise<{ rows: Row[]; loadSeconds: number }> {
  await db.migrate([marketMigrations]);
  const kysely = db.kysely<unknown>();
  console.error(`${engine}: loading ${LISTINGS.toLocaleString('en-US')} listings…`);
  const load = await timed(() => loadCatalogue(kysely, (done) => console.error(`${engine}: ${done.toLocaleString('en-US')}`)));
  const search = new CatalogueSearch(db.kysely<MarketTables>());
  const rows: Row[] = [];
  for (const query of QUERIES) {
    const found: number[] = [];
    const scanned: number[] = [];
    let total = 0;
    // One warm-up of each, then interleaved rounds.
    await search.search(query.query);
    await baseline(kysely, query);
    for (let round = 0; round < ROUNDS; round++) {
      const a = await timed(() => search.search(query.query));
      const b = await timed(() => baseline(kysely, query));
      found.push(a.ms);
      scanned.push(b.ms);
      total = a.value.total;
    }
    const [fts, scan] = [summarize(found, 1), summarize(scanned, 1)];
    rows.push({ engine, query: query.name, total, p50Ms: fts.p50Ms, p99Ms: fts.p99Ms, baselineP50Ms: scan.p50Ms, baselineP99Ms: scan.p99Ms, p99Ratio: fts.p99Ms / scan.p99Ms });
    console.error(`${engine}: ${query.name}: faceted search p99 ${fts.p99Ms} ms, ILIKE page p99 ${scan.p99Ms} ms`);
  }
  return { rows, loadSeconds: Math.round(load.ms / 100) / 10 };
}

async function main(): Promise<void> {
  const results: { engine: string; loadSeconds: number; rows: Row[] }[] = [];
  if (ENGINES.includes('pglite')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'kaif-bench-market-'));
    const pglite = await openPgliteDatabase({ dataDir });
    try {
      results.push({ engine: 'PGlite (on disk)', ...(await benchEngine('PGlite (on disk)', pglite)) });
    } finally {
      await pglite.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  if (POSTGRES_URL && ENGINES.includes('postgres')) {
    await withScratchPostgres(POSTGRES_URL, async (url) => {
      const logger = createLogger('warn');
      const registry = new Registry();
      const policy = createDependencyPolicy('postgres', { logger, registry }, { queue: 100_000, timeoutMs: 600_000 });
      const db = await openPostgresDatabase({ url, poolSize: 16, policy, logger, registry, maxWaiting: 100_000 });
      try {
        results.push({ engine: 'PostgreSQL 15', ...(await benchEngine('PostgreSQL 15', db)) });
      } finally {
        await db.close();
      }
    });
  }
  const lines = [
    `${LISTINGS.toLocaleString('en-US')} listings (95 % approved); ${ROUNDS} rounds per query; faceted search = match + filters + ranked page + 5 facets + total`,
    '',
    '| engine | query | matches | faceted search p50 / p99 ms | ILIKE page p50 / p99 ms | search p99 ÷ ILIKE p99 |',
    '|---|---|---:|---:|---:|---:|',
    ...results.flatMap((result) =>
      result.rows.map((r) => `| ${r.engine} | ${r.query} | ${r.total} | ${r.p50Ms} / ${r.p99Ms} | ${r.baselineP50Ms} / ${r.baselineP99Ms} | ${r.p99Ratio.toFixed(2)} |`),
    ),
  ];
  console.log(lines.join('\n'));
  const dir = join(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  const name = LISTINGS === 100_000 ? 'market-search' : `market-search-${LISTINGS}`;
  const out = join(dir, `${name}.json`);
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), listings: LISTINGS, rounds: ROUNDS, results }, null, 2)}\n`);
  const chart = join(dir, `${name}-p99.svg`);
  await writeChart(chart, {
    title: `Faceted catalogue search p99, ${LISTINGS.toLocaleString('en-US')} listings`,
    xLabel: QUERIES.map((query, index) => `${index + 1} ${query.name.split(' ')[0]}`).join(', '),
    yLabel: 'milliseconds (p99)',
    kind: 'bar',
    series: results.flatMap((result) => [
      { name: `${result.engine} faceted`, points: result.rows.map((r, index) => ({ x: index + 1, y: Math.max(r.p99Ms, 0.01) })) },
      { name: `${result.engine} ILIKE page`, points: result.rows.map((r, index) => ({ x: index + 1, y: Math.max(r.baselineP99Ms, 0.01) })) },
    ]),
  });
  for (const file of [out, chart]) console.log(`wrote ${file}`);
}

await main();

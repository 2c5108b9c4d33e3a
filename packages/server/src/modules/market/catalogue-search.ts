import { type RawBuilder, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ListingRow } from './listing-service.js';
import type { MarketDb } from './market-tables.js';

export type CatalogueSort = 'RELEVANCE' | 'PRICE_ASC' | 'PRICE_DESC' | 'RATING' | 'NEWEST';

export interface CatalogueQuery {
  readonly text?: string | null;
  readonly category?: string | null;
  readonly kind?: string | null;
  readonly asset?: string | null;
  /** Smallest units, inclusive. */
  readonly minPrice?: string | null;
  readonly maxPrice?: string | null;
  readonly attributes?: readonly { readonly key: string; readonly value: string }[] | null;
  /** Average rating at least this (1–5). */
  readonly minRating?: number | null;
  readonly inStock?: boolean | null;
  readonly sellerId?: string | null;
  readonly sort?: CatalogueSort | null;
  readonly after?: string | null;
  readonly limit?: number | null;
}

export interface FacetCount {
  readonly value: string;
  readonly count: number;
}

/** A price bucket: [from, to) in smallest units of one asset, a power of ten wide (to is null for the last one). */
export interface PriceBucket {
  readonly asset: string;
  readonly from: string;
  readonly to: string;
  readonly count: number;
}

export interface CatalogueFacets {
  readonly categories: readonly FacetCount[];
  readonly prices: readonly PriceBucket[];
  readonly attributes: readonly { readonly key: string; readonly values: readonly FacetCount[] }[];
  /** Listings with an average rating of at least 4, 3, 2, 1. */
  readonly ratings: readonly { readonly atLeast: number; readonly count: number }[];
  readonly inStock: number;
}

export interface CataloguePage {
  readonly listings: readonly ListingRow[];
  readonly total: number;
  readonly nextCursor: string | null;
  readonly facets: CatalogueFacets;
}

const MAX_WORDS = 16;
const WORD = /[\p{L}\p{N}]+/gu;
const AMOUNT = /^(0|[1-9][0-9]{0,77})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_LIMIT = 20;
/** Every column but the search vector, which a page never needs. */
const COLUMNS = sql.raw(
  ['id', 'seller_id', 'kind', 'title', 'description', 'category', 'asset', 'price', 'stock', 'attributes', 'photo_ids', 'status', 'rejection_reason', 'report_count', 'rating_sum', 'rating_count', 'created_at', 'updated_at']
    .map((column) => `l.${column}`)
    .join(', '),
);
const MAX_LIMIT = 100;

/** The ordering key of a row in a sort, and which way it runs; ties broken by id in the same direction. */
const SORTS: Record<CatalogueSort, { readonly key: RawBuilder<unknown>; readonly cast: string; readonly descending: boolean }> = {
  RELEVANCE: { key: sql`rank`, cast: 'float8', descending: true },
  PRICE_ASC: { key: sql`l.price`, cast: 'numeric', descending: false },
  PRICE_DESC: { key: sql`l.price`, cast: 'numeric', descending: true },
  RATING: { key: sql`rating`, cast: 'float8', descending: true },
  NEWEST: { key: sql`l.created_at`, cast: 'timestamptz', descending: true },
};

/**
 * The catalogue's search on PostgreSQL full-text search (the `search`
 * column of market-tables.ts), on both engines: approved listings that
 * match every word (stemmed in Russian or English; the last word also as a
 * prefix, as typed), filtered, sorted and paged by a keyset cursor.
 * Facets are disjunctive, as shops show them: each dimension is counted
 * over the matches with every other filter applied but its own, so picking
 * a category still shows what the other categories hold.
 */
export class CatalogueSearch {
  constructor(private readonly db: MarketDb) {}

  async search(query: CatalogueQuery): Promise<CataloguePage> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const words = (query.text?.match(WORD) ?? []).slice(0, MAX_WORDS);
    const tsquery = words.length === 0 ? null : tsqueryOf(words);
    const sort: CatalogueSort = query.sort === 'RELEVANCE' && !tsquery ? 'NEWEST' : (query.sort ?? (tsquery ? 'RELEVANCE' : 'NEWEST'));
    const filters = filtersOf(query);
    const all = (except?: keyof Filters) => conjunction([sql`l.status = 'approved'`, ...(tsquery ? [sql`l.search @@ ${tsquery}`] : []), ...Object.entries(filters).filter(([name]) => name !== except).map(([, clause]) => clause)]);

    const order = SORTS[sort];
    const cursor = query.after ? decodeCursor(query.after, sort) : null;
    const direction = order.descending ? sql`desc` : sql`asc`;
    const keyset = cursor ? sql`and (${order.key}, id) ${order.descending ? sql`<` : sql`>`} (${cursor.key}::${sql.raw(order.cast)}, ${cursor.id}::uuid)` : sql``;
    const rank = tsquery ? sql`ts_rank_cd(l.search, ${tsquery}, 32)::float8` : sql`0::float8`;
    const page = await sql<ListingRow & { sort_key: string }>`
      select * from (
        select ${COLUMNS}, l.created_at::text as created_at_text, ${rank} as rank, coalesce(l.rating_sum::float8 / nullif(l.rating_count, 0), 0) as rating
        from market.listings l where ${all()}
      ) as l
      where true ${keyset}
      order by ${order.key} ${direction}, id ${direction}
      limit ${limit + 1}`
      .execute(this.db)
      .then((result) => result.rows);
    const more = page.length > limit;
    const listings = page.slice(0, limit);
    const last = listings.at(-1) as (ListingRow & { rank: number; rating: number }) | undefined;
    const nextCursor = more && last ? encodeCursor(sort, sortKeyOf(sort, last), last.id) : null;

    const [total, categories, prices, attributes, ratings, inStock] = await Promise.all([
      this.count(all()),
      sql<{ value: string; count: string }>`
        select l.category as value, count(*) as count from market.listings l where ${all('category')}
        group by l.category order by count(*) desc, l.category limit 50`.execute(this.db),
      sql<{ asset: string; digits: number; count: string }>`
        select l.asset, length(l.price::text) as digits, count(*) as count from market.listings l where ${all('price')}
        group by l.asset, length(l.price::text) order by l.asset, digits`.execute(this.db),
      sql<{ key: string; value: string; count: string }>`
        select a.key, a.value, count(*) as count
        from market.listings l cross join lateral jsonb_each_text(l.attributes) as a(key, value)
        where ${all('attributes')}
        group by a.key, a.value order by a.key, count(*) desc, a.value limit 200`.execute(this.db),
      sql<{ four: string; three: string; two: string; one: string }>`
        select
          count(*) filter (where l.rating_count > 0 and l.rating_sum >= 4 * l.rating_count) as four,
          count(*) filter (where l.rating_count > 0 and l.rating_sum >= 3 * l.rating_count) as three,
          count(*) filter (where l.rating_count > 0 and l.rating_sum >= 2 * l.rating_count) as two,
          count(*) filter (where l.rating_count > 0) as one
        from market.listings l where ${all('rating')}`.execute(this.db),
      this.count(conjunction([all('inStock'), sql`l.stock > 0`])),
    ]);
    const rating = ratings.rows[0]!;
    const attributeFacets = new Map<string, FacetCount[]>();
    for (const row of attributes.rows) {
      const values = attributeFacets.get(row.key) ?? [];
      if (values.length < 20) values.push({ value: row.value, count: Number(row.count) });
      attributeFacets.set(row.key, values);
    }
    return {
      listings,
      total,
      nextCursor,
      facets: {
        categories: categories.rows.map((row) => ({ value: row.value, count: Number(row.count) })),
        prices: prices.rows.map((row) => ({
          asset: row.asset,
          // A price of d digits lies in [10^(d-1), 10^d); 0 has one digit and its own bucket [0, 1).
          from: row.digits === 1 ? '0' : `1${'0'.repeat(row.digits - 1)}`,
          to: `1${'0'.repeat(row.digits)}`,
          count: Number(row.count),
        })),
        attributes: [...attributeFacets].map(([key, values]) => ({ key, values })),
        ratings: [
          { atLeast: 4, count: Number(rating.four) },
          { atLeast: 3, count: Number(rating.three) },
          { atLeast: 2, count: Number(rating.two) },
          { atLeast: 1, count: Number(rating.one) },
        ],
        inStock,
      },
    };
  }

  private async count(where: RawBuilder<unknown>): Promise<number> {
    const result = await sql<{ count: string }>`select count(*) as count from market.listings l where ${where}`.execute(this.db);
    return Number(result.rows[0]?.count ?? 0);
  }
}

interface Filters {
  category?: RawBuilder<unknown>;
  price?: RawBuilder<unknown>;
  attributes?: RawBuilder<unknown>;
  rating?: RawBuilder<unknown>;
  inStock?: RawBuilder<unknown>;
  kind?: RawBuilder<unknown>;
  seller?: RawBuilder<unknown>;
}

function filtersOf(query: CatalogueQuery): Filters {
  const filters: Filters = {};
  if (query.category) filters.category = sql`l.category = ${query.category.trim().toLowerCase()}`;
  if (query.kind) filters.kind = sql`l.kind = ${query.kind}`;
  if (query.sellerId) filters.seller = sql`l.seller_id = ${query.sellerId}`;
  const price: RawBuilder<unknown>[] = [];
  if (query.asset) price.push(sql`l.asset = ${query.asset}`);
  for (const [bound, operator] of [
    [query.minPrice, sql`>=`],
    [query.maxPrice, sql`<=`],
  ] as const) {
    if (bound === null || bound === undefined) continue;
    if (!AMOUNT.test(bound)) throw new KaifError('VALIDATION_FAILED', 'prices are whole numbers of the smallest unit', { field: 'price' });
    price.push(sql`l.price ${operator} ${bound}::numeric`);
  }
  if (price.length > 0) filters.price = conjunction(price);
  if (query.attributes && query.attributes.length > 0) {
    // Each key must have one of the values asked for it (values of one key are alternatives).
    const byKey = new Map<string, string[]>();
    for (const { key, value } of query.attributes) byKey.set(key.toLowerCase(), [...(byKey.get(key.toLowerCase()) ?? []), value]);
    filters.attributes = conjunction(
      [...byKey].map(([key, values]) => sql`(${sql.join(values.map((value) => sql`l.attributes @> ${JSON.stringify({ [key]: value })}::jsonb`), sql` or `)})`),
    );
  }
  if (query.minRating) filters.rating = sql`l.rating_count > 0 and l.rating_sum >= ${Math.min(Math.max(query.minRating, 1), 5)} * l.rating_count`;
  if (query.inStock) filters.inStock = sql`l.stock > 0`;
  return filters;
}

const conjunction = (clauses: readonly RawBuilder<unknown>[]) => (clauses.length === 0 ? sql`true` : sql`(${sql.join(clauses, sql` and `)})`);

/** Every word but the last stemmed (Russian or English); the last also as a prefix as typed. Letters and digits only: no tsquery syntax gets through. */
function tsqueryOf(words: readonly string[]): RawBuilder<unknown> {
  const typing = words.at(-1)!;
  const typed = sql`(plainto_tsquery('russian', ${typing}) || to_tsquery('simple', ${`${typing}:*`}))`;
  if (words.length === 1) return typed;
  return sql`(plainto_tsquery('russian', ${words.slice(0, -1).join(' ')}) && ${typed})`;
}

function sortKeyOf(sort: CatalogueSort, row: ListingRow & { rank: number; rating: number }): string {
  switch (sort) {
    case 'RELEVANCE':
      return String(row.rank);
    case 'RATING':
      return String(row.rating);
    case 'PRICE_ASC':
    case 'PRICE_DESC':
      return String(row.price);
    case 'NEWEST':
      // Microseconds: a JavaScript Date keeps milliseconds only, so ties within one would be skipped.
      return (row as unknown as { created_at_text?: string }).created_at_text ?? row.created_at.toISOString();
  }
}

/** Opaque to clients: base64url of the sort, its key in the last row and that row's id. */
function encodeCursor(sort: CatalogueSort, key: string, id: string): string {
  return Buffer.from(JSON.stringify({ s: sort, k: key, i: id }), 'utf8').toString('base64url');
}

function decodeCursor(text: string, sort: CatalogueSort): { readonly key: string; readonly id: string } {
  try {
    const body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { s?: unknown; k?: unknown; i?: unknown };
    if (body.s === sort && typeof body.k === 'string' && body.k.length < 100 && typeof body.i === 'string' && UUID.test(body.i)) return { key: body.k, id: body.i };
  } catch {
    // Falls through to the refusal.
  }
  throw new KaifError('CURSOR_INVALID', 'The cursor does not belong to this search');
}

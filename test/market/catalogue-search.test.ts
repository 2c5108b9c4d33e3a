import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketTables } from '../../packages/server/src/modules/market/market-tables.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import { type EngineSet, type TestServer, startTestServer } from '../support/test-server.js';
import { type NewListing, approve, codesOf, createListing, gql, gqlOk, newAdmin } from './market-client.js';

const ENGINE_SETS: readonly EngineSet[] = ['embedded', ...(engineAvailable('postgres') && engineAvailable('redis') ? (['real'] as const) : [])];

const CATALOGUE: readonly (NewListing & { readonly key: string; readonly rating?: readonly number[] })[] = [
  { key: 'red', title: 'Red wool sweater', description: 'Hand knitted', category: 'clothing', price: '5000', stock: 3, attributes: [{ key: 'color', value: 'red' }, { key: 'size', value: 'M' }], rating: [5] },
  { key: 'blue', title: 'Blue wool sweater', description: 'Machine knitted', category: 'clothing', price: '7000', stock: 0, attributes: [{ key: 'color', value: 'blue' }, { key: 'size', value: 'L' }], rating: [2, 4] },
  { key: 'socks', title: 'Socks', description: 'Warm socks of merino wool', category: 'clothing', price: '500', stock: 10, attributes: [{ key: 'color', value: 'red' }] },
  { key: 'ru-sweater', title: 'Красный шерстяной свитер', description: 'Тёплый свитер из шерсти', category: 'clothing', price: '6000', stock: 2, attributes: [{ key: 'color', value: 'red' }] },
  { key: 'ru-socks', title: 'Носки', description: 'Носки из шерсти', category: 'clothing', price: '400', stock: 5 },
  { key: 'lamp', title: 'Desk lamp', description: 'A bright lamp; not wool at all', category: 'lighting', price: '20000', stock: 1 },
  { key: 'lessons', title: 'Guitar lessons', description: 'Online, one hour', category: 'music', price: '100000', stock: 50, kind: 'SERVICE' },
];

interface SearchReply {
  search: {
    total: number;
    nextCursor: string | null;
    listings: { id: string; title: string }[];
    facets: {
      categories: { value: string; count: number }[];
      prices: { asset: string; from: string; to: string; count: number }[];
      attributes: { key: string; values: { value: string; count: number }[] }[];
      ratings: { atLeast: number; count: number }[];
      inStock: number;
    };
  };
}

const SEARCH = `query ($input: SearchInput!) { search(input: $input) {
  total nextCursor listings { id title }
  facets { categories { value count } prices { asset from to count } attributes { key values { value count } } ratings { atLeast count } inStock }
} }`;

describe.each(ENGINE_SETS)('catalogue search on %s engines', (engines) => {
  let server: TestServer;
  let buyer: RegisteredUser;
  const ids = new Map<string, string>();
  const keyOf = (id: string) => [...ids].find(([, value]) => value === id)?.[0];

  const search = async (input: Record<string, unknown>) => (await gqlOk<SearchReply>(server, buyer.accessToken, SEARCH, { input })).search;
  const keys = async (input: Record<string, unknown>) => (await search(input)).listings.map((listing) => keyOf(listing.id));

  beforeAll(async () => {
    server = await startTestServer({ engines });
    const [seller, admin] = await Promise.all([registerUser(server), newAdmin(server)]);
    buyer = await registerUser(server);
    for (const item of CATALOGUE) {
      const listing = await createListing(server, seller.accessToken, item);
      await approve(server, admin.accessToken, listing.id);
      ids.set(item.key, listing.id);
    }
    // One listing waits for moderation: search never shows it.
    await createListing(server, seller.accessToken, { title: 'Green wool sweater', category: 'clothing' });
    // Ratings as reviews would have left them (reviews themselves are tested with orders).
    const db = server.adapters.db.kysely<MarketTables>();
    for (const item of CATALOGUE) {
      if (!item.rating) continue;
      await db
        .updateTable('market.listings')
        .set({ rating_sum: item.rating.reduce((sum, value) => sum + value, 0), rating_count: item.rating.length })
        .where('id', '=', ids.get(item.key)!)
        .execute();
    }
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('ranks a title match above a description match, and never shows a listing waiting for approval', async () => {
    const wool = await keys({ text: 'wool' });
    expect(new Set(wool)).toEqual(new Set(['red', 'blue', 'socks', 'lamp']));
    expect(wool.slice(0, 2).sort()).toEqual(['blue', 'red']);
    expect(await keys({ text: 'wool sweater' })).toEqual(expect.arrayContaining(['red', 'blue']));
    expect(await keys({ text: 'wool sweater' })).toHaveLength(2);
  });

  it('matches word forms in English and Russian, and the word being typed as a prefix', async () => {
    expect((await keys({ text: 'sweaters' })).sort()).toEqual(['blue', 'red']);
    expect(await keys({ text: 'свитеры' })).toEqual(['ru-sweater']);
    expect((await keys({ text: 'шерсти' })).sort()).toEqual(['ru-socks', 'ru-sweater']);
    expect((await keys({ text: 'swea' })).sort()).toEqual(['blue', 'red']);
    expect(await keys({ text: 'гитара' })).toEqual([]);
  });

  it('counts facets over the matches, each without its own filter', async () => {
    const all = await search({ text: 'wool' });
    expect(all.total).toBe(4);
    expect(all.facets.categories).toEqual([
      { value: 'clothing', count: 3 },
      { value: 'lighting', count: 1 },
    ]);
    expect(all.facets.prices).toEqual([
      { asset: 'ETH', from: '100', to: '1000', count: 1 },
      { asset: 'ETH', from: '1000', to: '10000', count: 2 },
      { asset: 'ETH', from: '10000', to: '100000', count: 1 },
    ]);
    expect(all.facets.attributes).toEqual([
      { key: 'color', values: [{ value: 'red', count: 2 }, { value: 'blue', count: 1 }] },
      { key: 'size', values: [{ value: 'L', count: 1 }, { value: 'M', count: 1 }] },
    ]);
    expect(all.facets.inStock).toBe(3);
    expect(all.facets.ratings).toEqual([
      { atLeast: 4, count: 1 },
      { atLeast: 3, count: 2 },
      { atLeast: 2, count: 2 },
      { atLeast: 1, count: 2 },
    ]);

    const clothing = await search({ text: 'wool', category: 'clothing', inStock: true });
    expect(clothing.listings.map((listing) => keyOf(listing.id)).sort()).toEqual(['red', 'socks']);
    // The category facet ignores the category filter (so other categories stay one click away), not the others.
    expect(clothing.facets.categories).toEqual([
      { value: 'clothing', count: 2 },
      { value: 'lighting', count: 1 },
    ]);
    expect(clothing.facets.inStock).toBe(2);
  });

  it('filters by price range, attributes, rating and kind', async () => {
    expect((await keys({ minPrice: '5000', maxPrice: '7000', asset: 'ETH' })).sort()).toEqual(['blue', 'red', 'ru-sweater']);
    expect((await keys({ attributes: [{ key: 'color', value: 'red' }] })).sort()).toEqual(['red', 'ru-sweater', 'socks']);
    expect((await keys({ attributes: [{ key: 'color', value: 'red' }, { key: 'color', value: 'blue' }, { key: 'size', value: 'L' }] })).sort()).toEqual(['blue']);
    expect(await keys({ minRating: 4 })).toEqual(['red']);
    expect(await keys({ kind: 'SERVICE' })).toEqual(['lessons']);
    const refused = await gql(server, buyer.accessToken, SEARCH, { input: { minPrice: '1.5' } });
    expect(codesOf(refused)).toEqual(['VALIDATION_FAILED']);
  });

  it('sorts by price, rating and newest, and pages by cursor without gaps or repeats', async () => {
    const byPrice = ['ru-socks', 'socks', 'red', 'ru-sweater', 'blue', 'lamp', 'lessons'];
    expect(await keys({ sort: 'PRICE_ASC' })).toEqual(byPrice);
    expect(await keys({ sort: 'PRICE_DESC' })).toEqual([...byPrice].reverse());
    expect((await keys({ sort: 'RATING' })).slice(0, 2)).toEqual(['red', 'blue']);
    expect(await keys({ sort: 'NEWEST' })).toEqual(CATALOGUE.map((item) => item.key).reverse());

    for (const sort of ['PRICE_ASC', 'NEWEST', 'RATING']) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result: SearchReply['search'] = await search({ sort, limit: 2, ...(after ? { after } : {}) });
        seen.push(...result.listings.map((listing) => keyOf(listing.id)!));
        after = result.nextCursor;
        if (!after) break;
      }
      expect(seen, sort).toEqual(await keys({ sort }));
    }
    const wrongSort = await gql(server, buyer.accessToken, SEARCH, { input: { sort: 'NEWEST', after: (await search({ sort: 'PRICE_ASC', limit: 1 })).nextCursor } });
    expect(codesOf(wrongSort)).toEqual(['CURSOR_INVALID']);
  });
});

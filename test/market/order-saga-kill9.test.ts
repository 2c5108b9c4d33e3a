import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { MarketTables } from '../../packages/server/src/modules/market/market-tables.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { testConfig } from '../support/test-server.js';
import { depositFor } from '../wallet/wallet-fixtures.js';
import { approve, createListing, gql } from './market-client.js';
import { expectConsistent, type Shop } from './saga-fixtures.js';

const TIMINGS = {
  KAIF_MARKET_SHIP_TIMEOUT_MS: '600000',
  KAIF_MARKET_RECEIPT_TIMEOUT_MS: '600000',
  KAIF_MARKET_SAGA_POLL_MS: '50',
  KAIF_MARKET_SAGA_LEASE_MS: '400',
};

/**
 * A real `kaif start` child process, SIGKILLed while orders are in flight
 * at several points of their sagas (placing, shipping, confirming,
 * cancelling), then started again: its worker must resume every order and
 * leave stock, escrow, balances and states agreeing. A second node on the
 * same database (API role only: it drives nothing by itself) funds the
 * buyers through the wallet's ledger seam and reads the outcome.
 */
describe.skipIf(!(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats')))('order saga across kill -9 of the server process', () => {
  let scratch: ScratchDatabase;
  let child: ServerProcess;
  let reader: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // Nodes sharing a database share a bus and a store too.
    const shared = { DATABASE_URL: scratch.url, REDIS_URL: ENGINE_URLS.redis!, KAIF_REDIS_PREFIX: scratchPrefix(), NATS_URL: ENGINE_URLS.nats!, ...TIMINGS };
    child = await startServerProcess(shared);
    const config = testConfig(shared);
    reader = await startServer({
      config,
      roles: new Set(['api']),
      logger: createLogger('warn', new Writable({ write: (_chunk, _encoding, done) => done() })),
      modules: MODULES,
    });
  }, 90_000);
  afterAll(async () => {
    await child?.kill();
    await reader?.stop();
    await scratch?.drop();
  });

  it('ends every order consistent after kills while reserving, holding, shipping, confirming and cancelling', async () => {
    const admin = await registerUser(child);
    await grantAdmin(reader.adapters.db.kysely<IdentityTables>(), admin.user.username);
    const login = (await (
      await fetch(`${child.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: admin.user.username, password: admin.password }) })
    ).json()) as { accessToken: string };
    const seller = await registerUser(child);
    const listing = await createListing(child, seller.accessToken, { title: 'Kettle', price: '10', stock: 12, asset: 'ETH' });
    await approve(child, login.accessToken, listing.id);
    const shop: Shop = { seller, listingId: listing.id, initialStock: 12, price: 10n };
    const buyers: { user: RegisteredUser; funds: bigint }[] = [];
    for (let index = 0; index < 8; index++) {
      const user = await registerUser(child);
      const funds = index === 7 ? 15n : 30n;
      await depositFor(reader.service('wallet'), user.user.id, 'ETH', funds);
      buyers.push({ user, funds });
    }
    const db = reader.adapters.db.kysely<MarketTables>();
    const orders = () => db.selectFrom('market.orders').selectAll().where('listing_id', '=', listing.id).execute();
    const quietly = (work: Promise<unknown>) => work.catch(() => undefined);
    const killAfter = async (ms: number, work: readonly Promise<unknown>[]) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await child.kill();
      await Promise.all(work);
      await child.restart();
    };

    // Kills 1 to 3: while orders are being placed (stock reserved, escrow held, or neither yet).
    for (const delay of [60, 150, 400]) {
      const placing = buyers.map((buyer) =>
        quietly(gql(child, buyer.user.accessToken, 'mutation ($l: ID!, $k: String!) { placeOrder(listingId: $l, quantity: 1, requestKey: $k) { id } }', { l: listing.id, k: randomUUID() })),
      );
      await killAfter(delay, placing);
    }
    await waitUntil(async () => (await orders()).every((order) => ['paid', 'failed', 'cancelled'].includes(order.state)));
    const placed = await orders();
    expect(placed.length).toBeGreaterThan(0);

    // Kill 4: while the seller ships half of the paid orders and buyers cancel the rest.
    const paid = placed.filter((order) => order.state === 'paid');
    const toShip = paid.filter((_, index) => index % 2 === 0);
    const toCancel = paid.filter((_, index) => index % 2 === 1);
    const buyerOf = (id: string) => buyers.find((buyer) => buyer.user.user.id === id)!.user;
    await killAfter(15, [
      ...toShip.map((order) => quietly(gql(child, seller.accessToken, 'mutation ($id: ID!) { shipOrder(id: $id) { id } }', { id: order.id }))),
      ...toCancel.map((order) => quietly(gql(child, buyerOf(order.buyer_id).accessToken, 'mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: order.id }))),
    ]);
    // Whatever the kill cut short is repeated, as a client would retry.
    for (const order of toShip) if ((await db.selectFrom('market.orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'paid') await gql(child, seller.accessToken, 'mutation ($id: ID!) { shipOrder(id: $id) { id } }', { id: order.id });
    for (const order of toCancel) if ((await db.selectFrom('market.orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'paid') await gql(child, buyerOf(order.buyer_id).accessToken, 'mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: order.id });

    // Kill 5: while buyers confirm receipt (the release to the seller runs).
    await killAfter(
      10,
      toShip.map((order) => quietly(gql(child, buyerOf(order.buyer_id).accessToken, 'mutation ($id: ID!) { confirmReceipt(id: $id) { id } }', { id: order.id }))),
    );
    for (const order of toShip) if ((await db.selectFrom('market.orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'shipped') await gql(child, buyerOf(order.buyer_id).accessToken, 'mutation ($id: ID!) { confirmReceipt(id: $id) { id } }', { id: order.id });

    await waitUntil(async () => (await orders()).every((order) => ['completed', 'failed', 'cancelled'].includes(order.state)));
    await expectConsistent(reader as never, shop, buyers);
    const final = await orders();
    expect(final.filter((order) => order.state === 'completed').length).toBe(toShip.length);
  }, 180_000);
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { MarketTables, OrderState } from '../../packages/server/src/modules/market/market-tables.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { testConfig } from '../support/test-server.js';
import { depositFor } from '../wallet/wallet-fixtures.js';
import { approve, createListing, gql } from './market-client.js';
import { type Shop, expectConsistent } from './saga-fixtures.js';
import { type Child, spawnChild } from './saga-process.js';

const TIMINGS = {
  KAIF_MARKET_SHIP_TIMEOUT_MS: '600000',
  KAIF_MARKET_RECEIPT_TIMEOUT_MS: '600000',
  KAIF_MARKET_SAGA_POLL_MS: '50',
  KAIF_MARKET_SAGA_LEASE_MS: '300',
};

/**
 * kill -9 of a real server process at exact points of the saga, one after
 * another on the same orders: each process dies at its crash point (inside
 * a step's transaction before COMMIT, or right after a step committed), the
 * next one, started on the same database, resumes the orders from the
 * worker loop and dies at the next point. A second node on the database
 * (API role only: it drives nothing) funds the buyers through the wallet's
 * ledger seam and reads the outcome. The end state must agree: stock,
 * escrow, balances and order states.
 */
describe.skipIf(!(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats')))('order saga across kill -9 at exact points', () => {
  let scratch: ScratchDatabase;
  let reader: RunningServer;
  let shared: Record<string, string>;
  let child: Child | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // Nodes sharing a database share a bus and a store too.
    shared = { DATABASE_URL: scratch.url, REDIS_URL: ENGINE_URLS.redis!, KAIF_REDIS_PREFIX: scratchPrefix(), NATS_URL: ENGINE_URLS.nats!, ...TIMINGS };
    reader = await startServer({
      config: testConfig(shared),
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

  it('resumes the same orders through seven processes, six of them killed at a step, and ends consistent', async () => {
    const db = reader.adapters.db.kysely<MarketTables>();
    const stateOf = async (id: string) => (await db.selectFrom('market.orders').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
    const waitFor = async (id: string, states: readonly OrderState[]) => {
      const deadline = Date.now() + 20_000;
      while (!states.includes(await stateOf(id))) {
        if (Date.now() > deadline) throw new Error(`order ${id} stayed ${await stateOf(id)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    /** The current process must die at its crash point; the next starts with the next point armed. */
    const crashedThenRestart = async (next: string | null, whileDown?: () => Promise<void>) => {
      expect(await Promise.race([child!.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))])).toBe('SIGKILL');
      await whileDown?.();
      child = await spawnChild(shared, next);
    };
    const call = (user: RegisteredUser, mutation: string, variables: Record<string, unknown>) => gql(child!, user.accessToken, mutation, variables).catch(() => undefined);

    child = await spawnChild(shared, 'record:reserve_stock');
    const adminUser = await registerUser(child);
    await grantAdmin(reader.adapters.db.kysely<IdentityTables>(), adminUser.user.username);
    const login = (await (
      await fetch(`${child.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: adminUser.user.username, password: adminUser.password }) })
    ).json()) as { accessToken: string };
    const seller = await registerUser(child);
    const listing = await createListing(child, seller.accessToken, { title: 'Kettle', price: '10', stock: 5, asset: 'ETH' });
    await approve(child, login.accessToken, listing.id);
    const shop: Shop = { seller, listingId: listing.id, initialStock: 5, price: 10n };
    const buyer = await registerUser(child);
    await depositFor(reader.service('wallet'), buyer.user.id, 'ETH', 100n);

    // Order A, delivered. 1: killed between reserving stock and holding the payment.
    await call(buyer, 'mutation ($l: ID!, $k: String!) { placeOrder(listingId: $l, requestKey: $k) { id } }', { l: listing.id, k: randomUUID() });
    const [a] = await db.selectFrom('market.orders').select('id').where('listing_id', '=', listing.id).execute();
    // Whoever takes the order's lease first drives it: placeOrder itself, or
    // the worker's poll, between the order's commit and placeOrder's own
    // drive (seen in a CI run on a loaded host). Then placeOrder answers
    // while the order is still requested, and the worker reserves and dies
    // a moment later: the state is read once the process is gone.
    // 2: the next process resumes A and is killed inside the hold's transaction, before COMMIT: nothing of it stays.
    await crashedThenRestart('effect:hold_escrow', async () => expect(await stateOf(a!.id)).toBe('stock_reserved'));
    await crashedThenRestart('record:hold_escrow', async () => {
      expect(await stateOf(a!.id)).toBe('stock_reserved');
      expect(await reader.service('wallet').escrowHoldsByReference(`market:order:${a!.id}`)).toEqual([]);
    });
    // 3: killed right after the hold committed.
    await crashedThenRestart('record:ship', async () => expect(await stateOf(a!.id)).toBe('paid'));
    // 4: killed right after the seller's ship committed (the seller's request gets no answer).
    await call(seller, 'mutation ($id: ID!) { shipOrder(id: $id) { id } }', { id: a!.id });
    await crashedThenRestart('effect:release_escrow', async () => expect(await stateOf(a!.id)).toBe('shipped'));
    // 5: the buyer confirms; killed inside the release's transaction.
    await call(buyer, 'mutation ($id: ID!) { confirmReceipt(id: $id) { id } }', { id: a!.id });
    await crashedThenRestart('effect:refund_escrow', async () => expect(await stateOf(a!.id)).toBe('releasing'));
    await waitFor(a!.id, ['completed']);

    // Order B, cancelled. 6: killed inside the refund's transaction; the next process finishes it.
    const placed = await gql<{ placeOrder: { id: string } }>(child, buyer.accessToken, 'mutation ($l: ID!, $k: String!) { placeOrder(listingId: $l, quantity: 2, requestKey: $k) { id } }', {
      l: listing.id,
      k: randomUUID(),
    });
    const b = placed.data.placeOrder.id;
    await waitFor(b, ['paid']);
    await call(buyer, 'mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: b });
    await crashedThenRestart(null, async () => expect(await stateOf(b)).toBe('compensating'));
    await waitFor(b, ['cancelled']);

    await expectConsistent(reader as never, shop, [{ user: buyer, funds: 100n }]);
    const steps = await db.selectFrom('market.order_steps').select(['order_id', 'step']).where('order_id', 'in', [a!.id, b]).orderBy('at').execute();
    expect(steps.filter((row) => row.order_id === a!.id).map((row) => row.step)).toEqual(['reserve_stock', 'hold_escrow', 'ship', 'confirm_receipt', 'release_escrow']);
    expect(steps.filter((row) => row.order_id === b).map((row) => row.step)).toEqual(['reserve_stock', 'hold_escrow', 'cancel_by_buyer', 'refund_escrow', 'release_stock', 'compensated']);
  }, 180_000);
});

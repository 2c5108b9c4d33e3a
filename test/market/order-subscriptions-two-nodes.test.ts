import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { testConfig } from '../support/test-server.js';
import { newAdmin } from './market-client.js';
import { SAGA_TIMINGS, act, fundedBuyer, openShop, placeOrder, waitForState } from './saga-fixtures.js';
import { type OrderUpdateView, UPDATE_FIELDS, bearer, inOrder, statesOf, subscribe, subscriber } from './subscription-client.js';

const enginesReady = engineAvailable('postgres') && engineAvailable('nats') && engineAvailable('redis');

describe.skipIf(!enginesReady)('order subscriptions across two nodes on shared PostgreSQL, NATS and Redis', () => {
  let scratch: ScratchDatabase;
  const nodes: RunningServer[] = [];
  const clients: { dispose(): void | Promise<void> }[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const env = {
      ...SAGA_TIMINGS,
      DATABASE_URL: scratch.url,
      NATS_URL: ENGINE_URLS.nats!,
      REDIS_URL: ENGINE_URLS.redis!,
      KAIF_REDIS_PREFIX: scratchPrefix(),
      LOG_LEVEL: 'silent',
    };
    // Two nodes in one test process, each with its own adapters: they share only the engines.
    for (let index = 0; index < 2; index++) {
      nodes.push(await startServer({ config: testConfig(env), logger: createLogger('silent'), modules: MODULES, relay: { pollMs: 100 } }));
    }
  }, 90_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    for (const node of nodes) await node.stop();
    await scratch?.drop();
  });

  it('delivers to a subscriber on node B the states of an order driven through node A', async () => {
    const [nodeA, nodeB] = nodes as [RunningServer, RunningServer];
    const admin = await newAdmin(nodeA);
    const shop = await openShop(nodeA, admin, { stock: 1, price: 300n, title: 'Two-node kettle' });
    const buyer = await fundedBuyer(nodeA, 1_000n);
    const buyerOnB = subscriber(nodeB, bearer(buyer.accessToken));
    const sellerOnB = subscriber(nodeB, bearer(shop.seller.accessToken));
    clients.push(buyerOnB, sellerOnB);
    const buyerUpdates = subscribe<OrderUpdateView>(buyerOnB, `subscription { myOrderUpdates { ${UPDATE_FIELDS} } }`);
    // Answered in order on the socket: once this is refused, myOrderUpdates runs.
    await expect(subscribe(buyerOnB, 'subscription ($id: ID!) { orderUpdated(orderId: $id) { state } }', { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });

    const orderId = await placeOrder(nodeA, buyer, shop.listingId);
    expect(await waitForState(nodeA, orderId, ['paid'])).toBe('paid');
    const sellerUpdates = subscribe<OrderUpdateView>(sellerOnB, `subscription ($id: ID!) { orderUpdated(orderId: $id) { ${UPDATE_FIELDS} } }`, { id: orderId });
    await buyerUpdates.until((updates) => statesOf(updates).includes('PAID'), 'the buyer on node B to hear PAID');
    // The seller's subscription runs once a later operation on its socket is answered.
    await expect(subscribe(sellerOnB, 'subscription ($id: ID!) { orderUpdated(orderId: $id) { state } }', { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });

    expect((await act(nodeA, shop.seller, 'shipOrder', orderId)).errors).toBeUndefined();
    expect((await act(nodeA, buyer, 'confirmReceipt', orderId)).errors).toBeUndefined();

    const heard = await buyerUpdates.until((updates) => statesOf(updates).includes('COMPLETED'), 'the buyer on node B to hear COMPLETED');
    expect(inOrder(statesOf(heard), ['PAID', 'SHIPPED', 'COMPLETED']), statesOf(heard).join(',')).toBe(true);
    expect(heard.find((update) => update.state === 'COMPLETED')?.order).toMatchObject({ id: orderId, state: 'COMPLETED', listing: { title: 'Two-node kettle' } });
    const sellerHeard = await sellerUpdates.until((updates) => statesOf(updates).includes('COMPLETED'), 'the seller on node B to hear COMPLETED');
    expect(inOrder(statesOf(sellerHeard), ['SHIPPED', 'COMPLETED']), statesOf(sellerHeard).join(',')).toBe(true);
  });
});

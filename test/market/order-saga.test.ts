import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatId, UserId } from '@kaif/protocol';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createMarketModule } from '../../packages/server/src/modules/market/market-module.js';
import type { RegisteredUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import { type EngineSet, type TestServer, startTestServer } from '../support/test-server.js';
import { codesOf, gql, gqlOk, newAdmin } from './market-client.js';
import { SAGA_TIMINGS, act, expectConsistent, fundedBuyer, openShop, orderRow, placeOrder, waitForState } from './saga-fixtures.js';

const ENGINE_SETS: readonly EngineSet[] = ['embedded', ...(engineAvailable('postgres') && engineAvailable('redis') ? (['real'] as const) : [])];

/**
 * Crashes to inject, by order: `effect:<step>` stops the driver after the
 * step's wallet call inside its transaction (as a process dying before
 * COMMIT would), `record:<step>` right after the step committed (dying
 * before the next step). Each fires once; the worker loop, which resumes
 * orders whose lease lapsed, must then finish the saga.
 */
const crashes = new Map<string, Set<string>>();
const fire = (orderId: string, point: string) => {
  // A new order's first step is recording its stock reservation: it takes the crashes armed for the next order.
  if (point === 'record:reserve_stock' && !crashes.has(orderId) && nextCrashes.length > 0) {
    crashes.set(orderId, new Set(nextCrashes));
    nextCrashes = [];
  }
  if (crashes.get(orderId)?.delete(point)) throw new Error(`injected crash at ${point}`);
};
const market = createMarketModule({
  faults: {
    afterEffect: (orderId, step) => fire(orderId, `effect:${step}`),
    afterRecord: (orderId, step) => fire(orderId, `record:${step}`),
  },
});
/** Crash points of the next order the buyer places (placeOrder returns its id only after the first steps ran). */
let nextCrashes: string[] = [];
const withCrashes = async (points: readonly string[], place: () => Promise<string>): Promise<string> => {
  nextCrashes = [...points];
  try {
    return await place();
  } finally {
    nextCrashes = [];
  }
};

describe.each(ENGINE_SETS)('order saga on %s engines', (engines) => {
  let server: TestServer;
  let admin: RegisteredUser;

  beforeAll(async () => {
    server = await startTestServer({ engines, env: SAGA_TIMINGS, modules: [...MODULES.filter((module) => module.name !== 'market'), market] });
    admin = await newAdmin(server);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('reserves, holds, ships, confirms and pays the seller; each step is journaled and told in the parties’ chat', async () => {
    const shop = await openShop(server, admin, { stock: 3, price: 700n });
    const buyer = await fundedBuyer(server, 2_000n);
    const orderId = await placeOrder(server, buyer, shop.listingId, 2);
    expect(await waitForState(server, orderId, ['paid'])).toBe('paid');
    expect(codesOf(await act(server, buyer, 'shipOrder', orderId))).toEqual(['ORDER_NOT_FOUND']);
    expect((await act(server, shop.seller, 'shipOrder', orderId)).errors).toBeUndefined();
    expect(codesOf(await act(server, shop.seller, 'shipOrder', orderId))).toEqual(['ORDER_STATE_CONFLICT']);
    expect(codesOf(await act(server, shop.seller, 'confirmReceipt', orderId))).toEqual(['ORDER_NOT_FOUND']);
    expect((await act(server, buyer, 'confirmReceipt', orderId)).errors).toBeUndefined();
    expect(await waitForState(server, orderId, ['completed'])).toBe('completed');
    await expectConsistent(server, shop, [{ user: buyer, funds: 2_000n }]);

    const order = await gqlOk<{ order: { state: string; amount: string; steps: { step: string; outcome: string }[] } }>(
      server,
      buyer.accessToken,
      'query ($id: ID!) { order(id: $id) { state amount steps { step outcome } } }',
      { id: orderId },
    );
    expect(order.order).toMatchObject({ state: 'COMPLETED', amount: '1400' });
    expect(order.order.steps.map((step) => step.step)).toEqual(['reserve_stock', 'hold_escrow', 'ship', 'confirm_receipt', 'release_escrow']);
    const stranger = await fundedBuyer(server, 0n);
    expect((await gqlOk<{ order: null }>(server, stranger.accessToken, 'query ($id: ID!) { order(id: $id) { id } }', { id: orderId })).order).toBeNull();

    // The worker posts each state into the direct chat, from the party whose step it was.
    const messaging = server.service('messaging');
    const chatId: ChatId = await messaging.openDirectChat(buyer.user.id as UserId, shop.seller.user.id as UserId);
    const deadline = Date.now() + 10_000;
    let texts: string[] = [];
    while (Date.now() < deadline) {
      texts = (await messaging.listMessages(buyer.user.id as UserId, chatId, { limit: 20 })).map((message) => message.text ?? '');
      if (texts.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(texts.some((text) => text.includes('Paid into escrow'))).toBe(true);
    expect(texts.some((text) => text.includes('Shipped'))).toBe(true);
    expect(texts.some((text) => text.includes('Completed'))).toBe(true);
    expect(texts).toHaveLength(3);
  });

  it('fails an order whose stock is gone, charging nothing', async () => {
    const shop = await openShop(server, admin, { stock: 1, price: 100n });
    const first = await fundedBuyer(server, 500n);
    const second = await fundedBuyer(server, 500n);
    const won = await placeOrder(server, first, shop.listingId);
    const lost = await placeOrder(server, second, shop.listingId);
    expect(await waitForState(server, won, ['paid'])).toBe('paid');
    expect(await waitForState(server, lost, ['failed'])).toBe('failed');
    expect((await orderRow(server, lost)).reason).toBe('out of stock');
    await expectConsistent(server, shop, [
      { user: first, funds: 500n },
      { user: second, funds: 500n },
    ]);
  });

  it('gives the stock back when the buyer cannot pay', async () => {
    const shop = await openShop(server, admin, { stock: 2, price: 1_000n });
    const buyer = await fundedBuyer(server, 999n);
    const orderId = await placeOrder(server, buyer, shop.listingId);
    expect(await waitForState(server, orderId, ['failed'])).toBe('failed');
    expect((await orderRow(server, orderId)).reason).toBe('insufficient funds');
    await expectConsistent(server, shop, [{ user: buyer, funds: 999n }]);
  });

  it('refunds the buyer when the seller never ships, and pays the seller when the buyer never confirms', async () => {
    const shop = await openShop(server, admin, { stock: 2, price: 50n });
    const buyer = await fundedBuyer(server, 100n);
    const ignored = await placeOrder(server, buyer, shop.listingId);
    const shipped = await placeOrder(server, buyer, shop.listingId);
    await waitForState(server, shipped, ['paid']);
    await act(server, shop.seller, 'shipOrder', shipped);
    expect(await waitForState(server, ignored, ['cancelled'], 20_000)).toBe('cancelled');
    expect((await orderRow(server, ignored)).reason).toBe('the seller did not ship in time');
    expect(await waitForState(server, shipped, ['completed'], 20_000)).toBe('completed');
    await expectConsistent(server, shop, [{ user: buyer, funds: 100n }]);
  });

  it('lets the buyer or the seller cancel a paid order, refunded, but not a shipped one', async () => {
    const shop = await openShop(server, admin, { stock: 3, price: 10n });
    const buyer = await fundedBuyer(server, 100n);
    const byBuyer = await placeOrder(server, buyer, shop.listingId);
    const bySeller = await placeOrder(server, buyer, shop.listingId);
    const shipped = await placeOrder(server, buyer, shop.listingId);
    for (const id of [byBuyer, bySeller, shipped]) await waitForState(server, id, ['paid']);
    await act(server, shop.seller, 'shipOrder', shipped);
    expect((await act(server, buyer, 'cancelOrder', byBuyer)).errors).toBeUndefined();
    expect((await act(server, shop.seller, 'cancelOrder', bySeller)).errors).toBeUndefined();
    expect(codesOf(await act(server, buyer, 'cancelOrder', shipped))).toEqual(['ORDER_STATE_CONFLICT']);
    await act(server, buyer, 'confirmReceipt', shipped);
    for (const id of [byBuyer, bySeller]) expect(await waitForState(server, id, ['cancelled'])).toBe('cancelled');
    await waitForState(server, shipped, ['completed']);
    await expectConsistent(server, shop, [{ user: buyer, funds: 100n }]);
  });

  it('places one order for one request key, however often it is sent', async () => {
    const shop = await openShop(server, admin, { stock: 5, price: 10n });
    const buyer = await fundedBuyer(server, 100n);
    const send = () =>
      gqlOk<{ placeOrder: { id: string } }>(server, buyer.accessToken, 'mutation ($l: ID!) { placeOrder(listingId: $l, requestKey: "same-key") { id } }', { l: shop.listingId });
    const answers = await Promise.all([send(), send(), send()]);
    expect(new Set(answers.map((answer) => answer.placeOrder.id)).size).toBe(1);
    await waitForState(server, answers[0]!.placeOrder.id, ['paid']);
    await expectConsistent(server, shop, [{ user: buyer, funds: 100n }]);
  });

  describe('after a crash between two steps, the worker finishes the saga consistently', () => {
    const scenarios: readonly { readonly points: readonly string[]; readonly path: 'deliver' | 'cancel' | 'poor' }[] = [
      { points: ['effect:hold_escrow'], path: 'deliver' },
      { points: ['record:reserve_stock'], path: 'deliver' },
      { points: ['record:hold_escrow'], path: 'deliver' },
      { points: ['record:ship'], path: 'deliver' },
      { points: ['effect:release_escrow'], path: 'deliver' },
      { points: ['record:confirm_receipt', 'record:release_escrow'], path: 'deliver' },
      { points: ['effect:refund_escrow'], path: 'cancel' },
      { points: ['record:cancel_by_buyer', 'record:compensated'], path: 'cancel' },
      { points: ['record:hold_escrow'], path: 'poor' },
    ];
    for (const scenario of scenarios) {
      it(`${scenario.points.join(' then ')} on the way to ${scenario.path}`, async () => {
        const shop = await openShop(server, admin, { stock: 2, price: 40n });
        const funds = scenario.path === 'poor' ? 10n : 100n;
        const buyer = await fundedBuyer(server, funds);
        const orderId = await runWithCrashes(server, buyer, shop, scenario.points, scenario.path);
        expect(await waitForState(server, orderId, scenario.path === 'deliver' ? ['completed'] : scenario.path === 'cancel' ? ['cancelled'] : ['failed'])).toBeTruthy();
        await expectConsistent(server, shop, [{ user: buyer, funds }]);
        expect(crashes.get(orderId)?.size ?? 0, 'every injected crash fired').toBe(0);
      });
    }
  });

  it('ends consistent whatever step crashes, on any path (property)', async () => {
    const points = [
      'effect:hold_escrow',
      'record:reserve_stock',
      'record:hold_escrow',
      'record:ship',
      'effect:release_escrow',
      'record:release_escrow',
      'record:confirm_receipt',
      'effect:refund_escrow',
      'record:compensated',
      'record:cancel_by_buyer',
    ];
    await fc.assert(
      fc.asyncProperty(fc.subarray(points, { maxLength: 3 }), fc.constantFrom('deliver', 'cancel', 'poor'), fc.integer({ min: 0, max: 2 }), async (chosen, path, stock) => {
        const shop = await openShop(server, admin, { stock, price: 40n });
        const funds = path === 'poor' ? 10n : 100n;
        const buyer = await fundedBuyer(server, funds);
        const orderId = await runWithCrashes(server, buyer, shop, chosen, path);
        await waitForState(server, orderId, ['completed', 'cancelled', 'failed'], 20_000);
        await expectConsistent(server, shop, [{ user: buyer, funds }]);
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('lets only the buyer of a completed order review it, once; the seller replies; ratings add up', async () => {
    const shop = await openShop(server, admin, { stock: 5, price: 5n });
    const buyer = await fundedBuyer(server, 100n);
    const other = await fundedBuyer(server, 100n);
    const review = 'mutation ($o: ID!, $r: Int!) { reviewOrder(orderId: $o, rating: $r, text: "Lovely") { rating } }';
    const first = await placeOrder(server, buyer, shop.listingId);
    await waitForState(server, first, ['paid']);
    expect(codesOf(await gql(server, buyer.accessToken, review, { o: first, r: 5 }))).toEqual(['REVIEW_NOT_ALLOWED']);
    await act(server, shop.seller, 'shipOrder', first);
    await act(server, buyer, 'confirmReceipt', first);
    await waitForState(server, first, ['completed']);
    expect(codesOf(await gql(server, other.accessToken, review, { o: first, r: 1 }))).toEqual(['REVIEW_NOT_ALLOWED']);
    expect(codesOf(await gql(server, buyer.accessToken, review, { o: first, r: 6 }))).toEqual(['VALIDATION_FAILED']);
    expect((await gql(server, buyer.accessToken, review, { o: first, r: 5 })).errors).toBeUndefined();
    expect(codesOf(await gql(server, buyer.accessToken, review, { o: first, r: 1 }))).toEqual(['REVIEW_NOT_ALLOWED']);

    const second = await placeOrder(server, other, shop.listingId);
    await waitForState(server, second, ['paid']);
    await act(server, shop.seller, 'shipOrder', second);
    await act(server, other, 'confirmReceipt', second);
    await waitForState(server, second, ['completed']);
    await gqlOk(server, other.accessToken, review, { o: second, r: 2 });

    const reply = 'mutation ($o: ID!) { replyToReview(orderId: $o, text: "Thank you") { reply } }';
    expect(codesOf(await gql(server, buyer.accessToken, reply, { o: first }))).toEqual(['REVIEW_NOT_ALLOWED']);
    expect((await gqlOk<{ replyToReview: { reply: string } }>(server, shop.seller.accessToken, reply, { o: first })).replyToReview.reply).toBe('Thank you');

    const listing = await gqlOk<{ listing: { rating: number; reviewCount: number; seller: { rating: number; reviewCount: number }; reviews: { rating: number; reply: string | null }[] } }>(
      server,
      other.accessToken,
      'query ($id: ID!) { listing(id: $id) { rating reviewCount seller { rating reviewCount } reviews { rating reply } } }',
      { id: shop.listingId },
    );
    expect(listing.listing).toMatchObject({ rating: 3.5, reviewCount: 2, seller: { rating: 3.5, reviewCount: 2 } });
    expect(listing.listing.reviews).toEqual(expect.arrayContaining([{ rating: 5, reply: 'Thank you' }, { rating: 2, reply: null }]));
  });
});

/** Places an order with crashes armed, then plays the people's part of the path, tolerating the crashes' error answers. */
async function runWithCrashes(
  server: TestServer,
  buyer: RegisteredUser,
  shop: { seller: RegisteredUser; listingId: string },
  points: readonly string[],
  path: 'deliver' | 'cancel' | 'poor',
): Promise<string> {
  const orderId = await withCrashes(points, () => placeOrder(server, buyer, shop.listingId));
  const state = await waitForState(server, orderId, ['paid', 'failed', 'cancelled']);
  if (state !== 'paid' || path === 'poor') return orderId;
  if (path === 'cancel') {
    await act(server, buyer, 'cancelOrder', orderId);
    return orderId;
  }
  await act(server, shop.seller, 'shipOrder', orderId);
  await waitForState(server, orderId, ['shipped']);
  await act(server, buyer, 'confirmReceipt', orderId);
  return orderId;
}


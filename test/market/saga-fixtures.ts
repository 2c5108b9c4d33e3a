import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { MarketTables, OrderState } from '../../packages/server/src/modules/market/market-tables.js';
import type { WalletApi } from '../../packages/server/src/modules/wallet/api.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { depositFor } from '../wallet/wallet-fixtures.js';
import { approve, createListing, gql, gqlOk } from './market-client.js';

export interface Shop {
  readonly seller: RegisteredUser;
  readonly listingId: string;
  readonly initialStock: number;
  readonly price: bigint;
}

interface Server {
  readonly url: string;
  readonly adapters: { readonly db: { kysely<T>(): import('kysely').Kysely<T> } };
  service(name: 'wallet'): WalletApi;
}

/** A seller with one approved listing. */
export async function openShop(server: Server, admin: RegisteredUser, options: { stock?: number; price?: bigint; title?: string } = {}): Promise<Shop> {
  const seller = await registerUser(server);
  const price = options.price ?? 1_000_000n;
  const stock = options.stock ?? 3;
  const listing = await createListing(server, seller.accessToken, { title: options.title ?? 'Walnut chess set', price: price.toString(), stock, asset: 'ETH' });
  await approve(server, admin.accessToken, listing.id);
  return { seller, listingId: listing.id, initialStock: stock, price };
}

/** A buyer with `funds` wei on their wallet, deposited as a confirmed deposit would be. */
export async function fundedBuyer(server: Server, funds: bigint): Promise<RegisteredUser> {
  const buyer = await registerUser(server);
  if (funds > 0n) await depositFor(server.service('wallet'), buyer.user.id, 'ETH', funds);
  return buyer;
}

export async function placeOrder(server: Server, buyer: RegisteredUser, listingId: string, quantity = 1): Promise<string> {
  const reply = await gql<{ placeOrder: { id: string } }>(server, buyer.accessToken, 'mutation ($l: ID!, $q: Int!, $k: String!) { placeOrder(listingId: $l, quantity: $q, requestKey: $k) { id state } }', {
    l: listingId,
    q: quantity,
    k: randomUUID(),
  });
  if (!reply.data?.placeOrder) throw new Error(`placeOrder failed: ${JSON.stringify(reply.errors)}`);
  return reply.data.placeOrder.id;
}

/** An order action as the party would send it; the answer's errors are returned, not thrown. */
export async function act(server: Server, user: RegisteredUser, action: 'shipOrder' | 'confirmReceipt' | 'cancelOrder', orderId: string) {
  return gql(server, user.accessToken, `mutation ($id: ID!) { ${action}(id: $id) { id state } }`, { id: orderId });
}

export async function orderRow(server: Server, orderId: string) {
  return server.adapters.db.kysely<MarketTables>().selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
}

/** Waits until the order is in one of the states (the worker resumes what a step left). */
export async function waitForState(server: Server, orderId: string, states: readonly OrderState[], timeoutMs = 15_000): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { state } = await orderRow(server, orderId);
    if (states.includes(state)) return state;
    if (Date.now() > deadline) throw new Error(`order ${orderId} stayed ${state}, expected ${states.join('|')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The invariants that must hold once every order of the shop is final or
 * waiting on a person: the stock, the escrow holds, both balances and each
 * order's state agree. Nothing is charged without a delivered order (a
 * completed order is the only one that pays the seller), nothing delivered
 * without payment (every shipped or completed order has its hold).
 */
export async function expectConsistent(server: Server, shop: Shop, buyers: readonly { user: RegisteredUser; funds: bigint }[]): Promise<void> {
  const db = server.adapters.db.kysely<MarketTables>();
  const wallet = server.service('wallet');
  const orders = await db.selectFrom('market.orders').selectAll().where('listing_id', '=', shop.listingId).execute();
  let taken = 0;
  let paidToSeller = 0n;
  const spent = new Map<string, bigint>();
  for (const order of orders) {
    const holds = await wallet.escrowHoldsByReference(`market:order:${order.id}`);
    expect(holds.length, `order ${order.id} has at most one hold`).toBeLessThanOrEqual(1);
    const hold = holds[0];
    const amount = BigInt(order.amount);
    switch (order.state) {
      case 'paid':
      case 'shipped':
      case 'releasing':
        expect(hold?.state, `${order.state} order ${order.id} holds the payment`).toBe('held');
        expect(order.stock_reserved).toBe(true);
        taken += order.quantity;
        spent.set(order.buyer_id, (spent.get(order.buyer_id) ?? 0n) + amount);
        break;
      case 'completed':
        expect(hold?.state, `completed order ${order.id} paid the seller`).toBe('released');
        expect(hold?.settledToUserId).toBe(shop.seller.user.id);
        taken += order.quantity;
        paidToSeller += amount;
        spent.set(order.buyer_id, (spent.get(order.buyer_id) ?? 0n) + amount);
        break;
      case 'cancelled':
      case 'failed':
        expect(hold === undefined || hold.state === 'refunded', `${order.state} order ${order.id} charged nobody`).toBe(true);
        expect(order.stock_reserved).toBe(false);
        break;
      default:
        throw new Error(`order ${order.id} is still ${order.state}`);
    }
  }
  const listing = await db.selectFrom('market.listings').select('stock').where('id', '=', shop.listingId).executeTakeFirstOrThrow();
  expect(listing.stock, 'stock left = initial − what open and completed orders took').toBe(shop.initialStock - taken);
  expect(await wallet.balance(shop.seller.user.id, 'ETH')).toBe(paidToSeller);
  for (const buyer of buyers) expect(await wallet.balance(buyer.user.user.id, 'ETH')).toBe(buyer.funds - (spent.get(buyer.user.user.id) ?? 0n));
  const check = await wallet.reconcile();
  expect(check.balanceMismatches).toEqual([]);
  expect(check.unbalancedTransactions).toEqual([]);
  expect(check.negativeAccounts).toEqual([]);
}

export const SAGA_TIMINGS = {
  KAIF_MARKET_SHIP_TIMEOUT_MS: '2500',
  KAIF_MARKET_RECEIPT_TIMEOUT_MS: '2500',
  KAIF_MARKET_SAGA_POLL_MS: '50',
  KAIF_MARKET_SAGA_LEASE_MS: '300',
  KAIF_WALLET_ASSETS: 'ETH,TON',
};

export { gqlOk };

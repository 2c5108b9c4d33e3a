import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { newAdmin } from './market-client.js';
import { SAGA_TIMINGS, act, fundedBuyer, openShop, placeOrder, waitForState } from './saga-fixtures.js';
import { type OrderUpdateView, UPDATE_FIELDS, bearer, inOrder, statesOf, subscribe, subscriber } from './subscription-client.js';

const MY_UPDATES = `subscription { myOrderUpdates { ${UPDATE_FIELDS} } }`;
const ONE_ORDER = `subscription ($id: ID!) { orderUpdated(orderId: $id) { ${UPDATE_FIELDS} } }`;

describe('order subscriptions over WebSocket on embedded engines', () => {
  let server: TestServer;
  let admin: RegisteredUser;
  const clients: { dispose(): void | Promise<void> }[] = [];
  const connect = (params: Record<string, unknown>) => {
    const client = subscriber(server, params);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: SAGA_TIMINGS });
    admin = await newAdmin(server);
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await server?.stop();
  });

  it('tells buyer and seller live of paid, shipped and completed as the saga moves a real order', async () => {
    const shop = await openShop(server, admin, { stock: 2, price: 500n, title: 'Brass telescope' });
    const buyer = await fundedBuyer(server, 1_000n);
    const stranger = await fundedBuyer(server, 1_000n);
    const buyerSocket = connect(bearer(buyer.accessToken));
    const buyerAll = subscribe<OrderUpdateView>(buyerSocket, MY_UPDATES);
    const sellerAll = subscribe<OrderUpdateView>(connect({ token: shop.seller.accessToken }), MY_UPDATES);
    const strangerAll = subscribe<OrderUpdateView>(connect(bearer(stranger.accessToken)), MY_UPDATES);
    // A subscription is running once the server answers an operation on the same socket.
    await expect(subscribe(buyerSocket, ONE_ORDER, { id: '00000000-0000-0000-0000-000000000000' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });

    const orderId = await placeOrder(server, buyer, shop.listingId);
    expect(await waitForState(server, orderId, ['paid'])).toBe('paid');
    await buyerAll.until((updates) => statesOf(updates).includes('PAID'), 'the buyer to hear PAID');
    await sellerAll.until((updates) => statesOf(updates).includes('PAID'), 'the seller to hear PAID');
    const buyerOne = subscribe<OrderUpdateView>(connect(bearer(buyer.accessToken)), ONE_ORDER, { id: orderId });
    const strangerOne = subscribe<OrderUpdateView>(connect(bearer(stranger.accessToken)), ONE_ORDER, { id: orderId });
    expect(await strangerOne.ended).toEqual({ codes: ['ORDER_NOT_FOUND'] });

    expect((await act(server, shop.seller, 'shipOrder', orderId)).errors).toBeUndefined();
    await buyerOne.until((updates) => statesOf(updates).includes('SHIPPED'), 'orderUpdated to carry SHIPPED');
    expect((await act(server, buyer, 'confirmReceipt', orderId)).errors).toBeUndefined();

    for (const [who, subscription] of [
      ['buyer', buyerAll],
      ['seller', sellerAll],
    ] as const) {
      const updates = await subscription.until((received) => statesOf(received).includes('COMPLETED'), `the ${who} to hear COMPLETED`);
      expect(inOrder(statesOf(updates), ['PAID', 'SHIPPED', 'COMPLETED']), `${who}: ${statesOf(updates).join(',')}`).toBe(true);
      expect(updates.every((update) => update.orderId === orderId)).toBe(true);
      const completed = updates.find((update) => update.state === 'COMPLETED')!;
      expect(completed.order).toMatchObject({ id: orderId, state: 'COMPLETED', buyerId: buyer.user.id, sellerId: shop.seller.user.id, listing: { title: 'Brass telescope' } });
    }
    const one = await buyerOne.until((updates) => statesOf(updates).includes('COMPLETED'), 'orderUpdated to carry COMPLETED');
    expect(inOrder(statesOf(one), ['SHIPPED', 'COMPLETED'])).toBe(true);

    // The stranger heard nothing of that order: the first update they get is about their own.
    const own = await placeOrder(server, stranger, shop.listingId);
    const heard = await strangerAll.until((updates) => updates.length > 0, 'the stranger to hear of their own order');
    expect(heard[0]!.orderId).toBe(own);
  });

  it('refuses a socket without a token or with a bad one, with the code REST would answer', async () => {
    const anonymous = subscribe(connect({}), MY_UPDATES);
    expect(await anonymous.ended).toEqual({ closeCode: 4401, closeReason: 'UNAUTHORIZED' });
    const forged = subscribe(connect(bearer('not-a-token')), MY_UPDATES);
    expect(await forged.ended).toEqual({ closeCode: 4401, closeReason: 'TOKEN_INVALID' });
  });

  it('refuses a subscription deeper than the depth limit, or costlier than the complexity limit, before it runs', async () => {
    const buyer = await fundedBuyer(server, 0n);
    const socket = connect(bearer(buyer.accessToken));
    const deep = subscribe(socket, 'subscription { myOrderUpdates { order { listing { seller { listings { seller { listings { seller { id } } } } } } } } }');
    expect(await deep.ended).toEqual({ codes: ['QUERY_TOO_COMPLEX'] });
    const costly = subscribe(socket, 'subscription { myOrderUpdates { order { listing { seller { listings(limit: 100) { reviews(limit: 100) { text } } } } } } }');
    expect(await costly.ended).toEqual({ codes: ['QUERY_TOO_COMPLEX'] });
    const unknown = subscribe(socket, 'subscription { myOrderUpdates { nope } }');
    expect(await unknown.ended).toEqual({ codes: ['VALIDATION_FAILED'] });
    // The socket itself stays usable.
    await expect(subscribe(socket, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });
  });

  it('refuses a subscription past the per-connection limit', async () => {
    const buyer = await fundedBuyer(server, 0n);
    const socket = connect(bearer(buyer.accessToken));
    const running = Array.from({ length: 20 }, () => subscribe(socket, MY_UPDATES));
    // Operations on one socket are answered in order: the refused one tells that the twenty before it run.
    expect(await subscribe(socket, ONE_ORDER, { id: 'x' }).ended).toEqual({ codes: ['ORDER_NOT_FOUND'] });
    expect(await subscribe(socket, MY_UPDATES).ended).toEqual({ codes: ['SUBSCRIPTION_LIMIT'] });
    running[0]!.stop();
    expect(await running[0]!.ended).toEqual({});
    const again = subscribe(socket, ONE_ORDER, { id: 'x' });
    expect(await again.ended).toEqual({ codes: ['ORDER_NOT_FOUND'] });
  });

  it('refuses a user more sockets on one node than the per-user limit (16)', async () => {
    const buyer = await fundedBuyer(server, 0n);
    const sockets = Array.from({ length: 16 }, () => connect(bearer(buyer.accessToken)));
    // Each socket stays open while a subscription runs on it (the client closes an idle one), and is signed in once the server answers an operation on it.
    for (const socket of sockets) {
      subscribe(socket, MY_UPDATES);
      await expect(subscribe(socket, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });
    }
    expect(await subscribe(connect(bearer(buyer.accessToken)), MY_UPDATES).ended).toEqual({ closeCode: 1008, closeReason: 'FLOOD_WAIT' });
    // The sockets already open are untouched.
    await expect(subscribe(sockets[0]!, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });
  });

  it('ends the subscriptions of a session that logs out', async () => {
    const buyer = await fundedBuyer(server, 0n);
    const socket = connect(bearer(buyer.accessToken));
    const running = subscribe(socket, MY_UPDATES);
    await expect(subscribe(socket, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });
    const logout = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: buyer.refreshToken }),
    });
    expect(logout.status).toBe(204);
    expect(await running.ended).toEqual({ closeCode: 4401, closeReason: 'TOKEN_INVALID' });
  });

  it('closes only the socket that sends a malformed message', async () => {
    const buyer = await fundedBuyer(server, 0n);
    const healthy = connect(bearer(buyer.accessToken));
    const running = subscribe(healthy, MY_UPDATES);
    await expect(subscribe(healthy, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });

    const raw = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => raw.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    raw.send('{"this is": not json');
    expect(await closed).toEqual({ code: 4400, reason: 'VALIDATION_FAILED' });

    // The other socket still answers.
    await expect(subscribe(healthy, ONE_ORDER, { id: 'x' }).ended).resolves.toEqual({ codes: ['ORDER_NOT_FOUND'] });
    expect(healthy.closes).toEqual([]);
    running.stop();
  });

  it('leaves the realtime gateway its own upgrades', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.close();
  });
});

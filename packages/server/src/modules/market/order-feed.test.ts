import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../platform/bus/memory-bus.js';
import type { OrderEvent } from './order-events.js';
import { OrderFeed, type UpdateQueue } from './order-feed.js';

const event = (orderId: string, state: OrderEvent['state'], buyerId = 'buyer', sellerId = 'seller'): OrderEvent => ({
  type: 'market.order',
  orderId,
  state,
  buyerId,
  sellerId,
  listingId: 'listing',
  title: 'Lamp',
  quantity: 1,
  asset: 'ETH',
  amount: '10',
  reason: null,
  at: new Date(0).toISOString(),
});

/** A socket's queue with room for `room` waiting updates. */
function queue(room: number) {
  const state = { waiting: 0, overflowed: 0, ended: 0 };
  const sink: UpdateQueue = {
    admit: () => {
      if (state.waiting >= room) return false;
      state.waiting++;
      return true;
    },
    release: () => {
      state.waiting--;
    },
    overflow: () => {
      state.overflowed++;
    },
    ended: () => {
      state.ended++;
    },
  };
  return { sink, state };
}

const publish = (bus: ReturnType<typeof createMemoryBus>, update: OrderEvent) => bus.publish(`kaif.ev.market.order.${update.orderId}`, { eventId: `${update.orderId}-${update.state}`, body: { ...update } });

describe('the order feed', () => {
  it('gives each follower the events of its order or of the orders its user buys or sells, in order', async () => {
    const bus = createMemoryBus();
    const feed = new OrderFeed(bus);
    const one = feed.follow({ orderId: 'o1' }, queue(10).sink);
    const seller = feed.follow({ userId: 'seller' }, queue(10).sink);
    const stranger = feed.follow({ userId: 'stranger' }, queue(10).sink);
    publish(bus, event('o1', 'paid'));
    publish(bus, event('o2', 'paid'));
    publish(bus, event('o1', 'shipped'));
    publish(bus, event('o3', 'paid', 'stranger', 'other'));
    await new Promise((resolve) => setImmediate(resolve));

    expect((await one.next()).value).toMatchObject({ orderId: 'o1', state: 'paid' });
    expect((await one.next()).value).toMatchObject({ orderId: 'o1', state: 'shipped' });
    const sellerHeard = [await seller.next(), await seller.next(), await seller.next()].map((result) => `${result.value?.orderId}:${result.value?.state}`);
    expect(sellerHeard).toEqual(['o1:paid', 'o2:paid', 'o1:shipped']);
    expect((await stranger.next()).value).toMatchObject({ orderId: 'o3' });
    await bus.close();
  });

  it('ends a follower whose socket cannot take more, and tells the socket', async () => {
    const bus = createMemoryBus();
    const feed = new OrderFeed(bus);
    const { sink, state } = queue(2);
    const follower = feed.follow({ orderId: 'o1' }, sink);
    for (const step of ['paid', 'shipped', 'releasing'] as const) publish(bus, event('o1', step));
    await new Promise((resolve) => setImmediate(resolve));

    expect(state).toEqual({ waiting: 0, overflowed: 1, ended: 1 });
    expect(await follower.next()).toEqual({ value: undefined, done: true });
    expect(feed.size).toBe(0);
    await bus.close();
  });

  it('ignores what is not an order event, and follows again after the last follower ended', async () => {
    const bus = createMemoryBus();
    const feed = new OrderFeed(bus);
    const { sink, state } = queue(5);
    const follower = feed.follow({ userId: 'buyer' }, sink);
    bus.publish('kaif.ev.market.order.o1', { eventId: 'x', body: { type: 'market.order', orderId: 'o1' } });
    publish(bus, event('o1', 'paid'));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await follower.next()).value).toMatchObject({ state: 'paid' });
    await follower.return();
    expect(state.ended).toBe(1);
    expect(feed.size).toBe(0);
    const later = feed.follow({ userId: 'buyer' }, queue(5).sink);
    publish(bus, event('o1', 'shipped'));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await later.next()).value).toMatchObject({ state: 'shipped' });
    await bus.close();
  });
});

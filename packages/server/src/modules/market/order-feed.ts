import type { Bus, BusPayload, Unsubscribe } from '../../platform/bus/bus.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import type { OrderState } from './market-tables.js';
import { ORDER_EVENTS, type OrderEvent } from './order-events.js';

/** Whom a follower hears about: one order, or every order a user buys or sells. */
export type OrderFollow = { readonly orderId: string } | { readonly userId: string };

/** Where a follower's events wait until its socket takes them; refuses past its bound. */
export interface UpdateQueue {
  /** False when the socket's queue is full: the caller ends the follower and the socket. */
  admit(): boolean;
  /** One queued event was taken (sent) or dropped. */
  release(): void;
  /** The socket cannot keep up: close it (1013, try again later). */
  overflow(): void;
  /** One of the socket's followers ended (the client stopped it, or the socket closed). */
  ended(): void;
}

const STATES: ReadonlySet<string> = new Set<OrderState>(['requested', 'stock_reserved', 'paid', 'transferring', 'shipped', 'releasing', 'compensating', 'completed', 'failed', 'cancelled']);

/** An OrderEvent from the bus (inside the outbox's envelope), or undefined for anything else. */
export function orderEventOf(payload: BusPayload): OrderEvent | undefined {
  const body = (isEventEnvelope(payload) ? payload.body : payload) as Partial<OrderEvent> | null;
  if (body?.type !== 'market.order' || typeof body.orderId !== 'string' || typeof body.buyerId !== 'string' || typeof body.sellerId !== 'string') return undefined;
  if (typeof body.state !== 'string' || !STATES.has(body.state) || typeof body.at !== 'string') return undefined;
  return body as OrderEvent;
}

/**
 * Order events for this node's GraphQL subscribers, from the bus: one live
 * subscription to `kaif.ev.market.order.*` while anyone here follows an
 * order (the outbox relay publishes each committed state change there, and
 * every node's live subscribers hear it: in process on the memory bus,
 * through NATS in scale-out, so a change committed on node A reaches a
 * subscriber on node B). Delivery is the bus's live delivery: at most once,
 * in order per order; a client that reconnects re-reads the order.
 */
export class OrderFeed {
  private readonly followers = new Map<string, Set<OrderFollower>>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly bus: Bus) {}

  /** A new follower, iterated by the GraphQL subscription; `return()` ends it. */
  follow(follow: OrderFollow, queue: UpdateQueue): OrderFollower {
    const key = 'orderId' in follow ? `order:${follow.orderId}` : `user:${follow.userId}`;
    const follower = new OrderFollower(queue, () => this.leave(key, follower));
    let set = this.followers.get(key);
    if (!set) {
      set = new Set();
      this.followers.set(key, set);
    }
    set.add(follower);
    this.unsubscribe ??= this.bus.subscribe(ORDER_EVENTS, (payload) => this.deliver(payload));
    return follower;
  }

  /** Followers on this node (tests, metrics). */
  get size(): number {
    let count = 0;
    for (const set of this.followers.values()) count += set.size;
    return count;
  }

  close(): void {
    for (const set of [...this.followers.values()]) for (const follower of [...set]) void follower.return();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private leave(key: string, follower: OrderFollower): void {
    const set = this.followers.get(key);
    if (!set?.delete(follower) || set.size > 0) return;
    this.followers.delete(key);
    if (this.followers.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  private deliver(payload: BusPayload): void {
    const event = orderEventOf(payload);
    if (!event) return;
    const reached = new Set<OrderFollower>();
    for (const key of [`order:${event.orderId}`, `user:${event.buyerId}`, `user:${event.sellerId}`]) {
      for (const follower of this.followers.get(key) ?? []) reached.add(follower);
    }
    for (const follower of reached) follower.push(event);
  }
}

/**
 * One subscription's events as an async iterator (what graphql-js'
 * `subscribe` iterates). Its events wait in its socket's bounded queue: a
 * socket that does not read fast enough is closed rather than buffered
 * without end.
 */
export class OrderFollower implements AsyncIterableIterator<OrderEvent> {
  private readonly queued: OrderEvent[] = [];
  private waiting: ((result: IteratorResult<OrderEvent>) => void) | undefined;
  private done = false;

  constructor(
    private readonly queue: UpdateQueue,
    private readonly onEnd: () => void,
  ) {}

  push(event: OrderEvent): void {
    if (this.done) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting({ value: event, done: false });
      return;
    }
    if (!this.queue.admit()) {
      this.queue.overflow();
      void this.return();
      return;
    }
    this.queued.push(event);
  }

  next(): Promise<IteratorResult<OrderEvent>> {
    const event = this.queued.shift();
    if (event) {
      this.queue.release();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<OrderEvent>> {
    if (!this.done) {
      this.done = true;
      for (let index = 0; index < this.queued.length; index++) this.queue.release();
      this.queued.length = 0;
      this.onEnd();
      this.queue.ended();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

import type { OrderState } from './market-tables.js';

/**
 * An order's state change, published through the outbox on
 * `orderEventSubject(orderId)` after the transaction that made it: at
 * least once, in order per order. Buyer and seller hear of it as a message
 * in their direct chat (order-notices.ts), live over every transport.
 */
export interface OrderEvent {
  readonly type: 'market.order';
  readonly orderId: string;
  readonly state: OrderState;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly listingId: string;
  readonly title: string;
  readonly quantity: number;
  readonly asset: string;
  readonly amount: string;
  readonly reason: string | null;
  readonly at: string;
}

export const orderEventSubject = (orderId: string) => `kaif.ev.market.order.${orderId}`;
export const ORDER_EVENTS = 'kaif.ev.market.order.*';

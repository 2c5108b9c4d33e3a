import type { ChatId, UserId } from '@kaif/protocol';
import type { BusPayload } from '../../platform/bus/bus.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import type { MessagingApi } from '../messaging/api.js';
import type { MarketDb } from './market-tables.js';
import type { OrderEvent } from './order-events.js';

/**
 * Turns order events into messages in the buyer's and seller's direct
 * chat (opened if they had none), sent by the party whose step it was.
 * Idempotent: the message's clientMsgId is the order and its state, so a
 * redelivered event finds the first message (messaging deduplicates by
 * sender and clientMsgId) and posts nothing twice.
 */
export function orderNoticeHandler(messaging: MessagingApi, db: MarketDb): (payload: BusPayload) => Promise<void> {
  return async (payload) => {
    const event = (isEventEnvelope(payload) ? payload.body : payload) as OrderEvent | null;
    if (event?.type !== 'market.order') return;
    const notice = noticeOf(event);
    if (!notice) return;
    // Another deployment's order, seen on a shared NATS stream.
    const known = await db.selectFrom('market.orders').select('id').where('id', '=', event.orderId).where('buyer_id', '=', event.buyerId).executeTakeFirst();
    if (!known) return;
    const buyer = event.buyerId as UserId;
    const seller = event.sellerId as UserId;
    const chatId: ChatId = await messaging.openDirectChat(buyer, seller);
    await messaging.sendMessage(notice.from === 'buyer' ? buyer : seller, {
      chatId,
      clientMsgId: `market-order-${event.orderId}-${event.state}`,
      text: notice.text,
    });
  };
}

/** What the chat says about a state, and who says it; nothing for the saga's inner steps. */
export function noticeOf(event: OrderEvent): { readonly from: 'buyer' | 'seller'; readonly text: string } | undefined {
  const order = `Order ${event.orderId.slice(0, 8)} · ${event.quantity} × “${event.title}” · ${event.amount} ${event.asset} (smallest units)`;
  switch (event.state) {
    case 'paid':
      return { from: 'buyer', text: `🛒 ${order}\nPaid into escrow. Waiting for the seller to ship.` };
    case 'shipped':
      return { from: 'seller', text: `📦 ${order}\nShipped. Confirm receipt once it arrives; the seller is paid then.` };
    case 'completed':
      return { from: 'buyer', text: `✅ ${order}\nCompleted: the payment was released to the seller.` };
    case 'cancelled':
      return { from: 'buyer', text: `↩️ ${order}\nCancelled (${event.reason ?? 'cancelled'}): the buyer was refunded and the stock returned.` };
    default:
      return undefined;
  }
}

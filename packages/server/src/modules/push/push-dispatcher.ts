import type { PushNotificationPayload } from '@kaif/protocol';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { DeliveryReceipts, DeliveryRef } from './delivery-receipts.js';
import type { PushTransport } from './push-transport.js';
import type { StoredSubscription } from './subscription-store.js';
import type { SubscriptionStore } from './subscription-store.js';

/** One message for one recipient device, with what its notification says. */
export interface Delivery {
  readonly ref: DeliveryRef;
  readonly target: StoredSubscription;
  readonly title: string;
  readonly senderName: string;
  /** The text, only when the recipient allowed previews; never for a secret chat. */
  readonly preview: string | null;
  /** When the message was stored (ISO), for the push lag. */
  readonly at: string;
}

export interface DispatchOptions {
  /** One notification per device and chat per this interval; what arrives in between coalesces into one more at its end. */
  readonly minIntervalMs: number;
  /** Pushes in flight at once per process. */
  readonly concurrency: number;
  /** How long a push service keeps a notification for an offline device. */
  readonly ttlSeconds: number;
  /** How long the unopened count of a chat's notification lives. */
  readonly countTtlMs: number;
}

export const DEFAULT_DISPATCH: DispatchOptions = { minIntervalMs: 2000, concurrency: 32, ttlSeconds: 24 * 3600, countTtlMs: 6 * 3600_000 };

const PREVIEW_MAX_CHARS = 200;
const countKey = (subscriptionId: string, chatId: string) => `push:count:${subscriptionId}:${chatId}`;
const recentKey = (subscriptionId: string, chatId: string) => `push:recent:${subscriptionId}:${chatId}`;

/**
 * Sends notifications off the send path: `enqueue` returns at once, a
 * bounded number of pushes run at a time, and a slow or failing push
 * service only lengthens this queue. Per device and chat, one notification
 * goes out per `minIntervalMs` (a cluster-wide key with that TTL); messages
 * in between are marked `coalesced` and the last of them goes out when the
 * interval ends, carrying the count of messages since the chat's
 * notification was last opened, under the same tag, so the device shows
 * one notification per chat that updates.
 */
export class PushDispatcher {
  private readonly queue: Delivery[] = [];
  private running = 0;
  private readonly trailing = new Map<string, { delivery: Delivery; timer: NodeJS.Timeout }>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly transport: PushTransport,
    private readonly ledger: DeliveryLedger,
    private readonly subscriptions: SubscriptionStore,
    private readonly receipts: DeliveryReceipts,
    private readonly kv: KeyValueStore,
    private readonly logger: Logger,
    private readonly options: DispatchOptions = DEFAULT_DISPATCH,
  ) {}

  enqueue(deliveries: readonly Delivery[]): void {
    this.queue.push(...deliveries);
    this.pump();
  }

  /** Forgets the count shown on a chat's notification once the user opened it. */
  async opened(ref: DeliveryRef): Promise<void> {
    await this.kv.delete(countKey(ref.subscriptionId, ref.chatId));
  }

  /** Resolves when nothing is queued or in flight (shutdown, tests). Pending trailing notifications are dropped. */
  async stop(): Promise<void> {
    for (const { timer } of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
    this.queue.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const delivery = this.queue.shift()!;
      this.running++;
      void this.deliver(delivery)
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message, chatId: delivery.ref.chatId }, 'push delivery failed'))
        .finally(() => {
          this.running--;
          if (this.running === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
          this.pump();
        });
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const { subscriptionId } = delivery.ref;
    const { chatId } = delivery.ref;
    await this.kv.increment(countKey(subscriptionId, chatId), 1, this.options.countTtlMs);
    if (await this.kv.setIfAbsent(recentKey(subscriptionId, chatId), '1', this.options.minIntervalMs)) {
      await this.push(delivery);
      return;
    }
    const key = `${subscriptionId}:${chatId}`;
    const waiting = this.trailing.get(key);
    if (waiting) {
      await this.ledger.mark(waiting.delivery.ref, 'coalesced');
      waiting.delivery = delivery;
      return;
    }
    const timer = setTimeout(() => {
      const entry = this.trailing.get(key);
      this.trailing.delete(key);
      if (entry) this.enqueueTrailing(entry.delivery);
    }, this.options.minIntervalMs);
    timer.unref();
    this.trailing.set(key, { delivery, timer });
  }

  /** The last message of an interval goes out as the chat's updated notification. */
  private enqueueTrailing(delivery: Delivery): void {
    this.running++;
    void this.kv
      .set(recentKey(delivery.ref.subscriptionId, delivery.ref.chatId), '1', this.options.minIntervalMs)
      .then(() => this.push(delivery))
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message, chatId: delivery.ref.chatId }, 'push delivery failed'))
      .finally(() => {
        this.running--;
        if (this.running === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        this.pump();
      });
  }

  private async push(delivery: Delivery): Promise<void> {
    const { ref } = delivery;
    const count = Number((await this.kv.get(countKey(ref.subscriptionId, ref.chatId))) ?? '1') || 1;
    const payload: PushNotificationPayload = {
      v: 1,
      tag: `chat:${ref.chatId}`,
      chatId: ref.chatId,
      seq: ref.seq,
      title: delivery.title,
      body: bodyOf(delivery, count),
      count,
      url: `/chats/${ref.chatId}`,
      receipt: this.receipts.issue(ref),
    };
    await this.ledger.mark(ref, 'pushed');
    const outcome = await this.transport.send(delivery.target, {
      payload: JSON.stringify(payload),
      // RFC 8030 §5.4: at most 32 base64url characters; a UUID without dashes is exactly that.
      topic: ref.chatId.replaceAll('-', ''),
      ttlSeconds: this.options.ttlSeconds,
    });
    if (outcome.kind === 'accepted') {
      this.ledger.accepted(delivery.at);
      await this.ledger.mark(ref, 'accepted', outcome.attempts > 1 ? `after ${outcome.attempts} attempts` : null);
    } else if (outcome.kind === 'gone') {
      await this.subscriptions.forget(ref.subscriptionId);
      await this.ledger.mark(ref, 'gone', `push service answered ${outcome.status}; subscription removed`);
    } else {
      await this.ledger.mark(ref, 'failed', outcome.detail);
    }
  }
}

function bodyOf(delivery: Delivery, count: number): string {
  if (delivery.preview !== null && count === 1) {
    const text = [...delivery.preview].slice(0, PREVIEW_MAX_CHARS).join('');
    return `${delivery.senderName}: ${text}`;
  }
  if (delivery.preview !== null) return `${delivery.senderName}: ${[...delivery.preview].slice(0, PREVIEW_MAX_CHARS).join('')} (+${count - 1})`;
  return count === 1 ? `${delivery.senderName}: new message` : `${delivery.senderName}: ${count} new messages`;
}

import type { PushNotificationPayload } from '@kaif/protocol';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterQueue, RateLimiterRes } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { DeliveryReceipts, DeliveryRef } from './delivery-receipts.js';
import type { PushTransport } from './push-transport.js';
import type { StoredSubscription, SubscriptionStore } from './subscription-store.js';

/** One notification for one recipient device, with what it says. */
export interface Delivery {
  readonly ref: DeliveryRef;
  readonly target: StoredSubscription;
  readonly title: string;
  readonly senderName: string;
  /** The text, only when the recipient allowed previews; never for a secret chat. */
  readonly preview: string | null;
  /** Messages of the chat this notification stands for (see ChatCoalescer). */
  readonly folded: number;
  /** When the message was stored (ISO), for the push lag. */
  readonly at: string;
}

export interface DispatchOptions {
  /** At most one notification per chat per this interval (ChatCoalescer) while the chat is quiet. */
  readonly intervalMs: number;
  /** A chat that stays busy has its interval doubled at each turn up to this (ChatCoalescer). */
  readonly maxIntervalMs: number;
  /** Pushes in flight at once per process. */
  readonly concurrency: number;
  /** How long a push service keeps a notification for an offline device. */
  readonly ttlSeconds: number;
  /** How long the unopened count of a chat's notification lives. */
  readonly countTtlMs: number;
  /** Notifications one device may get per minute, all chats together; past it they are held back (`limited`). */
  readonly perDevicePerMinute: number;
  /**
   * Pushes this process sends per second at most (0: no cap), so that under
   * send load push work yields its CPU to sends: the chats' turns lengthen
   * (more folded into each) and the lag grows instead.
   */
  readonly maxPerSecond: number;
}

export const DEFAULT_DISPATCH: DispatchOptions = {
  intervalMs: 2000,
  maxIntervalMs: 30_000,
  concurrency: 32,
  ttlSeconds: 24 * 3600,
  countTtlMs: 6 * 3600_000,
  perDevicePerMinute: 30,
  maxPerSecond: 0,
};

const PREVIEW_MAX_CHARS = 200;
const countKey = (subscriptionId: string, chatId: string) => `push:count:${subscriptionId}:${chatId}`;

interface Queued {
  readonly delivery: Delivery;
  readonly done: () => void;
}

/**
 * Sends notifications off the send path: `enqueue` returns at once, a
 * bounded number of pushes run at a time, at most `maxPerSecond` a second
 * when capped, and a slow or failing push service only lengthens this
 * queue. The queue is one line per chat, served in turn, so a chat's single
 * notification does not wait behind the thousand of a busy group's turn. A device gets at most
 * `perDevicePerMinute` notifications a minute over all its chats (a
 * cluster-wide limiter); one held back loses nothing but the alert, since
 * its chat's count rides on the chat's next notification. Each notification carries the count of
 * the chat's messages since the device last opened its notification (a
 * key per device and chat), under the chat's tag, so the device shows one
 * notification per chat that updates.
 */
export class PushDispatcher {
  /** Per chat, in the order they are served (a served chat with more waiting goes to the back). */
  private readonly queues = new Map<string, Queued[]>();
  private queued = 0;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly perDevice: RateLimiterAbstract;
  /** The process's pushes per second (token bucket), when capped. */
  private readonly pace: RateLimiterQueue | undefined;

  constructor(
    private readonly transport: PushTransport,
    private readonly ledger: DeliveryLedger,
    private readonly subscriptions: SubscriptionStore,
    private readonly receipts: DeliveryReceipts,
    private readonly kv: KeyValueStore,
    private readonly logger: Logger,
    private readonly options: DispatchOptions = DEFAULT_DISPATCH,
  ) {
    this.perDevice = kv.rateLimiter({ keyPrefix: 'push:device', points: options.perDevicePerMinute, durationSeconds: 60 });
    // In this process only: the cap shares out this node's CPU, not the cluster's.
    if (options.maxPerSecond > 0) this.pace = new RateLimiterQueue(new RateLimiterMemory({ points: options.maxPerSecond, duration: 1 }));
  }

  /** Queues the pushes and returns at once; the promise settles when the push service answered them all (never rejects). */
  enqueue(deliveries: readonly Delivery[]): Promise<void> {
    const answered = deliveries.map(
      (delivery) =>
        new Promise<void>((done) => {
          const line = this.queues.get(delivery.ref.chatId);
          if (line) line.push({ delivery, done });
          else this.queues.set(delivery.ref.chatId, [{ delivery, done }]);
          this.queued++;
        }),
    );
    this.pump();
    return Promise.all(answered).then(() => undefined);
  }

  /** Forgets the count shown on a chat's notification once the user opened it. */
  async opened(ref: DeliveryRef): Promise<void> {
    await this.kv.delete(countKey(ref.subscriptionId, ref.chatId));
  }

  /** Drops what is queued and resolves when nothing is in flight and the outcomes are recorded (shutdown). */
  async stop(): Promise<void> {
    for (const line of this.queues.values()) for (const { done } of line) done();
    this.queues.clear();
    this.queued = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.ledger.flush();
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queued > 0) {
      const { delivery, done } = this.next();
      this.running++;
      void this.push(delivery)
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message, chatId: delivery.ref.chatId }, 'push delivery failed'))
        .finally(() => {
          done();
          this.running--;
          if (this.running === 0 && this.queued === 0) for (const wake of this.idleWaiters.splice(0)) wake();
          this.pump();
        });
    }
  }

  /** The first of the chat whose turn it is; that chat then goes to the back of the line. */
  private next(): Queued {
    const [chatId, line] = this.queues.entries().next().value as [string, Queued[]];
    const entry = line.shift()!;
    this.queues.delete(chatId);
    if (line.length > 0) this.queues.set(chatId, line);
    this.queued--;
    return entry;
  }

  private async push(delivery: Delivery): Promise<void> {
    const { ref } = delivery;
    const count = await this.kv.increment(countKey(ref.subscriptionId, ref.chatId), delivery.folded, this.options.countTtlMs);
    if (!(await this.withinDeviceBudget(ref.subscriptionId))) {
      this.ledger.outcome(ref, 'limited', `over ${this.options.perDevicePerMinute} notifications a minute for this device`);
      return;
    }
    await this.pace?.removeTokens(1);
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
    const outcome = await this.transport.send(delivery.target, {
      payload: JSON.stringify(payload),
      // RFC 8030 §5.4: at most 32 base64url characters; a UUID without dashes is exactly that.
      topic: ref.chatId.replaceAll('-', ''),
      ttlSeconds: this.options.ttlSeconds,
    });
    if (outcome.kind === 'accepted') {
      this.ledger.accepted(delivery.at);
      this.ledger.outcome(ref, 'accepted', outcome.attempts > 1 ? `after ${outcome.attempts} attempts` : null);
    } else if (outcome.kind === 'gone') {
      await this.subscriptions.forget(ref.subscriptionId);
      this.ledger.outcome(ref, 'gone', `push service answered ${outcome.status}; subscription removed`);
    } else {
      this.ledger.outcome(ref, 'failed', outcome.detail);
    }
  }

  /** A store that cannot answer allows the push: a notification too many beats one lost. */
  private async withinDeviceBudget(subscriptionId: string): Promise<boolean> {
    try {
      await this.perDevice.consume(subscriptionId);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      this.logger.warn({ err: (rejection as Error).message }, 'push device budget check failed; allowing');
      return true;
    }
  }
}

function bodyOf(delivery: Delivery, count: number): string {
  const more = count > 1 ? ` (+${count - 1})` : '';
  if (delivery.preview !== null) return `${delivery.senderName}: ${[...delivery.preview].slice(0, PREVIEW_MAX_CHARS).join('')}${more}`;
  return count === 1 ? `${delivery.senderName}: new message` : `${delivery.senderName}: ${count} new messages`;
}

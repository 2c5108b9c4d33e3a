import type { ChatId } from '@kaif/protocol';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';

/** A chat's latest message waiting for its turn, and how many arrived since the chat's last notification. */
export interface Turn<T> {
  readonly latest: T;
  /** Messages this notification stands for (1 unless some were folded into it). */
  readonly folded: number;
}

const turnKey = (chatId: ChatId) => `push:turn:${chatId}`;

/**
 * One notification per chat per interval, whatever the traffic: the first
 * message of a quiet chat is notified at once (a cluster-wide key with the
 * interval's TTL marks the chat's turn as taken); messages arriving while
 * the turn is taken are folded, and the last of them is notified when the
 * interval ends, standing for all of them. A busy group of 1,000 thus costs
 * one walk of its members and one push per device every interval, not one
 * per message.
 *
 * The folded messages wait in this process: a worker that stops drops them
 * (their news reaches the device with the next message, or at its next
 * sync); several workers may each notify once more per interval.
 */
export class ChatCoalescer<T> {
  private readonly waiting = new Map<ChatId, { turn: Turn<T>; timer: NodeJS.Timeout }>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly intervalMs: number,
    private readonly notify: (chatId: ChatId, turn: Turn<T>) => Promise<void>,
    private readonly onFolded: () => void,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the message was notified (its chat's turn was free) or set aside for the end of the interval. */
  async offer(chatId: ChatId, message: T): Promise<void> {
    const waiting = this.waiting.get(chatId);
    if (waiting) {
      waiting.turn = { latest: message, folded: waiting.turn.folded + 1 };
      this.onFolded();
      return;
    }
    if (await this.kv.setIfAbsent(turnKey(chatId), '1', this.intervalMs)) {
      await this.notify(chatId, { latest: message, folded: 1 });
      return;
    }
    this.onFolded();
    const timer = setTimeout(() => void this.release(chatId), this.intervalMs);
    timer.unref();
    this.waiting.set(chatId, { turn: { latest: message, folded: 1 }, timer });
  }

  /** Drops what waits (shutdown). */
  stop(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private async release(chatId: ChatId): Promise<void> {
    const waiting = this.waiting.get(chatId);
    this.waiting.delete(chatId);
    if (!waiting) return;
    try {
      await this.kv.set(turnKey(chatId), '1', this.intervalMs);
      await this.notify(chatId, waiting.turn);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, chatId }, 'could not notify a chat’s folded messages');
    }
  }
}

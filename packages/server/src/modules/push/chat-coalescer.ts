import type { ChatId } from '@kaif/protocol';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';

/** A chat's latest message waiting for its turn, and how many arrived since the chat's last notification. */
export interface Turn<T> {
  readonly latest: T;
  /** Messages this notification stands for (1 unless some were folded into it). */
  readonly folded: number;
}

/** A notification under way: `sent` settles once every device's push was answered. */
export interface Notified {
  readonly sent: Promise<void>;
}

/** The chat's turn: present while it is taken, its value the turn's length in ms. */
const turnKey = (chatId: ChatId) => `push:turn:${chatId}`;

/** How long a chat's turn lasts: `baseMs` for a quiet chat, doubling per busy turn up to `maxMs`. */
export interface TurnIntervals {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * One notification per chat at a time and per interval, whatever the
 * traffic: the first message of a quiet chat is notified at once (a
 * cluster-wide key with the interval's TTL marks the chat's turn as taken);
 * messages arriving while the turn is taken are folded, and the last of
 * them is notified when the interval is over and the chat's previous
 * notification has reached every device, standing for all of them. A busy group of 1,000 thus costs one walk of its members and
 * one push per device per turn, not per message, and a push service slower
 * than the traffic makes the turns longer (more folded into each) instead
 * of a queue that grows without bound.
 *
 * A chat that stays busy has its interval doubled at each folded turn, up
 * to `maxMs` (2 s, 4 s, 8 s … 30 s by default): its notification keeps
 * updating with the count, less and less often, the way a phone stops
 * buzzing for a group in full flow; a chat quiet for one whole interval
 * starts again at `baseMs`, so its next message is notified at once.
 *
 * The folded messages wait in this process: a worker that stops drops them
 * (their news reaches the device with the next message, or at its next
 * sync); several workers may each notify once more per interval.
 */
export class ChatCoalescer<T> {
  /** Per chat, what is folded and the length of the turn it waits out (the next turn is twice as long). */
  private readonly waiting = new Map<ChatId, { turn: Turn<T>; timer: NodeJS.Timeout; interval: number }>();
  /** Chats whose last notification is still being pushed from this process. */
  private readonly sending = new Map<ChatId, Promise<void>>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly intervals: TurnIntervals,
    private readonly notify: (chatId: ChatId, turn: Turn<T>) => Promise<Notified>,
    private readonly onFolded: () => void,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the message's notification was recorded (its chat's turn was free) or the message was folded. */
  async offer(chatId: ChatId, message: T): Promise<void> {
    if (this.fold(chatId, message)) return;
    const { baseMs } = this.intervals;
    if (!this.sending.has(chatId) && (await this.kv.setIfAbsent(turnKey(chatId), String(baseMs), baseMs))) {
      await this.start(chatId, { latest: message, folded: 1 });
      return;
    }
    const interval = await this.intervalOf(chatId);
    // Another offer may have started the chat's wait while this one read the store.
    if (this.fold(chatId, message)) return;
    this.onFolded();
    const timer = setTimeout(() => void this.release(chatId), interval);
    timer.unref();
    this.waiting.set(chatId, { turn: { latest: message, folded: 1 }, timer, interval });
  }

  /** Folds the message into the chat's waiting notification, if one waits. */
  private fold(chatId: ChatId, message: T): boolean {
    const waiting = this.waiting.get(chatId);
    if (!waiting) return false;
    waiting.turn = { latest: message, folded: waiting.turn.folded + 1 };
    this.onFolded();
    return true;
  }

  /** Chats whose folded messages wait for their next turn. */
  get waitingChats(): number {
    return this.waiting.size;
  }

  /** Drops what waits (shutdown). */
  stop(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private async start(chatId: ChatId, turn: Turn<T>): Promise<void> {
    const { sent } = await this.notify(chatId, turn);
    const tracked: Promise<void> = sent.finally(() => {
      if (this.sending.get(chatId) === tracked) this.sending.delete(chatId);
    });
    this.sending.set(chatId, tracked);
  }

  /** The length of the chat's turn now taken (the base one if it ended meanwhile). */
  private async intervalOf(chatId: ChatId): Promise<number> {
    const stored = Number(await this.kv.get(turnKey(chatId)));
    return Number.isFinite(stored) && stored >= this.intervals.baseMs ? Math.min(stored, this.intervals.maxMs) : this.intervals.baseMs;
  }

  private async release(chatId: ChatId): Promise<void> {
    try {
      // Folding goes on until the chat's previous notification has been pushed.
      await this.sending.get(chatId);
      const waiting = this.waiting.get(chatId);
      this.waiting.delete(chatId);
      if (!waiting) return;
      // A turn that had to fold makes the next one twice as long; once one expires unused, the chat starts again at the base.
      const next = Math.min(this.intervals.maxMs, 2 * waiting.interval);
      await this.kv.set(turnKey(chatId), String(next), next);
      await this.start(chatId, waiting.turn);
    } catch (error) {
      this.waiting.delete(chatId);
      this.logger.warn({ err: (error as Error).message, chatId }, 'could not notify a chat’s folded messages');
    }
  }
}

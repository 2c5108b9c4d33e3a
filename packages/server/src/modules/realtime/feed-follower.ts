import type { UserId } from '@kaif/protocol';
import type { ChatEvent, FeedPosition, LiveChatEvent, MessagingApi } from '../messaging/api.js';

/** Where a follower writes what the user should see. */
export interface FeedSink {
  /** One event, in feed order; `cursor` is safe to resume from after processing it. */
  event(event: ChatEvent, cursor: string, live: boolean): void;
  /** The replay after a sync finished; live events follow. */
  synced(cursor: string): void;
  /** The feed could not be read (CURSOR_INVALID, or the database failed). */
  failed(error: unknown): void;
}

type Task = () => Promise<void>;

/**
 * One connection's position in the user's change feed, and the seam between
 * replay and live delivery (Telegram's pts + getDifference).
 *
 * The caller subscribes to the user's chats before calling `sync`, so every
 * event committed after the feed read also arrives live. Live events wait in
 * `pending` while a replay runs, then each is placed by the decoded
 * position: the next one is sent and advances it, one already covered is
 * dropped (no duplicate at the seam), a gap triggers another read of the
 * feed (no loss when the bus dropped or reordered something). All work runs
 * in one queue per connection, so frames leave in feed order. When the
 * position's cursor has grown (a user in many groups), the follower stores a
 * base for it between events, so live frames stay small.
 */
export class FeedFollower {
  private at: FeedPosition | null = null;
  private pending: LiveChatEvent[] = [];
  /** The tail of this connection's work; undefined when there is none, so an idle follower holds no promise. */
  private queue: Promise<void> | undefined;
  private queued = 0;
  private drainQueued = false;
  private generation = 0;

  constructor(
    private readonly messaging: MessagingApi,
    private readonly userId: UserId,
    private readonly sink: FeedSink,
    private readonly pageSize: number,
  ) {}

  /** The position after the last event sent; null before the first sync. */
  get position(): string | null {
    return this.at?.cursor ?? null;
  }

  /** Replays every event after `since` (null: from now), then follows live. A new sync replaces an old one. */
  sync(since: string | null): Promise<void> {
    const generation = ++this.generation;
    this.at = null;
    return this.enqueue(async () => {
      if (generation !== this.generation) return;
      try {
        await this.catchUp(since, generation);
      } catch (error) {
        if (generation === this.generation) this.sink.failed(error);
        return;
      }
      if (generation !== this.generation || this.at === null) return;
      await this.rebaseIfLarge();
      if (generation !== this.generation) return;
      this.sink.synced(this.at.cursor);
      await this.drain();
    });
  }

  /** A live event from one of the user's chats, as the bus delivered it. */
  offer(event: LiveChatEvent): void {
    this.pending.push(event);
    if (this.at === null || this.drainQueued) return;
    this.drainQueued = true;
    void this.enqueue(() => this.drain());
  }

  /** Stops all work: later results are ignored. */
  stop(): void {
    this.generation++;
    this.pending = [];
  }

  private enqueue(task: Task): Promise<void> {
    this.queued++;
    const run = async () => {
      try {
        await task();
      } finally {
        if (--this.queued === 0) this.queue = undefined;
      }
    };
    this.queue = (this.queue ?? Promise.resolve()).then(run, run);
    return this.queue;
  }

  private async drain(): Promise<void> {
    this.drainQueued = false;
    const generation = this.generation;
    while (this.pending.length > 0 && this.at !== null && generation === this.generation) {
      const event = this.pending.shift()!;
      const kind = this.at.follow(this.userId, event);
      if (kind === 'next') {
        this.sink.event(event, this.at.cursor, true);
      } else if (kind === 'gap') {
        // The feed has what the bus skipped, including this event (it was
        // published after its commit); later pending events then show as seen.
        try {
          await this.catchUp(this.at.cursor, generation);
        } catch (error) {
          if (generation === this.generation) this.sink.failed(error);
          return;
        }
      }
    }
    if (generation === this.generation) await this.rebaseIfLarge();
  }

  /**
   * Stores a base when the cursor names many channels. A failure is left
   * alone: the cursor stays correct, only longer, and the position waits
   * before it asks again.
   */
  private async rebaseIfLarge(): Promise<void> {
    if (!this.at?.wantsBase) return;
    await this.messaging.rebaseFeedPosition(this.userId, this.at).catch(() => undefined);
  }

  /**
   * Reads the feed to its end. Only the last event of a page gets the page's
   * cursor; earlier ones carry the cursor the page started from, which is
   * always safe to resume from (the client deduplicates by chat and seq).
   */
  private async catchUp(from: string | null, generation: number): Promise<void> {
    let cursor = from;
    for (;;) {
      const page = await this.messaging.changesSince(this.userId, cursor, this.pageSize);
      if (generation !== this.generation) return;
      const last = page.events.length - 1;
      page.events.forEach((event, index) => {
        this.sink.event(event, index === last ? page.cursor : (cursor ?? page.cursor), false);
      });
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    const at = await this.messaging.feedPosition(this.userId, cursor, this.at ?? undefined);
    if (generation === this.generation) this.at = at;
  }
}

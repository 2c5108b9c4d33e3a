import type { UserId } from '@kaif/protocol';
import type { FeedPosition, FollowKind, LiveChatEvent } from './api.js';
import type { CursorBase } from './cursor-bases.js';
import { fansOutOnRead } from './event-log.js';
import { type FeedCursor, encodeCursor, encodeRelativeCursor } from './feed-cursor.js';
import { applyOwnChannelEvent } from './own-channel-event.js';

/** Up to this many channels a full cursor is about as small as a relative one (some 45 bytes a channel): no base is stored. */
export const BASE_FROM_CHANNELS = 8;
/** A relative cursor naming more moved channels than this asks for a new base. */
export const REBASE_AFTER = 16;
/** After a base could not be stored, the next try waits this long (the cursor stays correct meanwhile, only longer). */
const REBASE_RETRY_MS = 5_000;

/**
 * One live follower's position, kept decoded (FeedPosition). Following an
 * event costs a map lookup; the cursor text is written once per change and
 * names only the channels that moved since the stored base, so a frame's
 * cursor stays under about a kilobyte whatever the user's number of groups.
 */
export class TrackedPosition implements FeedPosition {
  private pts: number;
  private readonly channels: Map<string, number>;
  private base: CursorBase | null = null;
  /** Channels whose seq may differ from the base's. */
  private readonly moved = new Set<string>();
  private text: string | null = null;
  private retryAt = 0;

  constructor(cursor: FeedCursor, base: CursorBase | null) {
    this.pts = cursor.pts;
    this.channels = new Map(Object.entries(cursor.channels));
    if (base) this.rebase(base);
  }

  /** The stored base this position is written against, if any. */
  get storedBase(): CursorBase | null {
    return this.base;
  }

  get cursor(): string {
    this.text ??= this.encode();
    return this.text;
  }

  get wantsBase(): boolean {
    if (this.channels.size <= BASE_FROM_CHANNELS || Date.now() < this.retryAt) return false;
    return this.base === null || this.moved.size > REBASE_AFTER;
  }

  follow(userId: UserId, event: LiveChatEvent): FollowKind {
    const position = event.positions?.[userId];
    const channelSeq = this.channels.get(event.chatId);
    if (position !== undefined) {
      if (position <= this.pts) return 'seen';
      if (position > this.pts + 1) return 'gap';
      if (fansOutOnRead(event.chatType)) {
        if (channelSeq !== undefined && (event.previousSeq ?? 0) > channelSeq) return 'gap';
        applyOwnChannelEvent(this.channels, userId, event);
        this.moved.add(event.chatId);
      }
      this.pts = position;
      this.text = null;
      return 'next';
    }
    if (!fansOutOnRead(event.chatType) || event.onlyFor !== undefined || channelSeq === undefined) return 'not-visible';
    if (event.seq <= channelSeq) return 'seen';
    if ((event.previousSeq ?? 0) > channelSeq) return 'gap';
    this.channels.set(event.chatId, event.seq);
    this.moved.add(event.chatId);
    this.text = null;
    return 'next';
  }

  /** The channel seqs to store as a base. */
  channelSeqs(): Record<string, number> {
    return Object.fromEntries(this.channels);
  }

  /** From now on the cursor is written against `base`. */
  rebase(base: CursorBase): void {
    this.base = base;
    this.moved.clear();
    for (const [chatId, seq] of this.channels) if (base.channels[chatId] !== seq) this.moved.add(chatId);
    for (const chatId of Object.keys(base.channels)) if (!this.channels.has(chatId)) this.moved.add(chatId);
    this.text = null;
  }

  rebaseFailed(): void {
    this.retryAt = Date.now() + REBASE_RETRY_MS;
  }

  private encode(): string {
    if (!this.base) return encodeCursor({ pts: this.pts, channels: this.channelSeqs() });
    const changed: Record<string, number> = {};
    const dropped: string[] = [];
    for (const chatId of this.moved) {
      const seq = this.channels.get(chatId);
      if (seq === undefined) {
        if (this.base.channels[chatId] !== undefined) dropped.push(chatId);
      } else if (this.base.channels[chatId] !== seq) {
        changed[chatId] = seq;
      }
    }
    return encodeRelativeCursor(this.base.id, this.pts, changed, dropped);
  }
}

import type { ChatId, UserId } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatEvent, FeedPage, FeedPosition, LiveChatEvent, MessagingApi } from '../messaging/api.js';
import { FeedFollower, type FeedSink } from './feed-follower.js';

const USER = 'u1' as UserId;
const CHAT = 'c1' as ChatId;

/** A one-chat feed whose cursor is the last seq; enough to exercise the seam. */
function fakeFeed() {
  const log: LiveChatEvent[] = [];
  let beforeRead: () => void = () => {};
  let rebases = 0;
  let failedAt = -1;
  /** The position is the last seq; it asks for a base at every third seq, as a busy user's would, and not again where storing one failed. */
  const positionAt = (seq: number): FeedPosition => {
    let at = seq;
    return {
      get cursor() {
        return String(at);
      },
      get wantsBase() {
        return at % 3 === 0 && at !== failedAt;
      },
      follow(_user, event) {
        if (event.seq === at + 1) {
          at = event.seq;
          return 'next';
        }
        return event.seq <= at ? 'seen' : 'gap';
      },
    };
  };
  const messaging: Pick<MessagingApi, 'changesSince' | 'feedPosition' | 'rebaseFeedPosition'> = {
    async changesSince(_user, cursor, limit = 100): Promise<FeedPage> {
      if (cursor === 'bad') throw new KaifError('CURSOR_INVALID');
      beforeRead();
      const from = cursor === null ? log.length : Number(cursor);
      const events = log.slice(from, from + limit);
      const end = from + events.length;
      return { events, cursor: String(end), hasMore: end < log.length };
    },
    async feedPosition(_user, cursor) {
      return positionAt(Number(cursor));
    },
    async rebaseFeedPosition(_user, position) {
      rebases++;
      failedAt = Number(position.cursor);
      throw new Error('the database is down');
    },
  };
  const commit = (): LiveChatEvent => {
    const event: LiveChatEvent = { chatId: CHAT, seq: log.length + 1, type: 'message.new', at: new Date().toISOString(), data: {}, chatType: 'group' };
    log.push(event);
    return event;
  };
  return {
    messaging: messaging as MessagingApi,
    commit,
    onRead: (hook: () => void) => (beforeRead = hook),
    rebases: () => rebases,
  };
}

function recordingSink() {
  const seqs: number[] = [];
  const frames: string[] = [];
  const errors: unknown[] = [];
  const sink: FeedSink = {
    event: (event: ChatEvent, cursor) => {
      seqs.push(event.seq);
      frames.push(`${event.seq}@${cursor}`);
    },
    synced: (cursor) => frames.push(`synced@${cursor}`),
    failed: (error) => errors.push(error),
  };
  return { sink, seqs, frames, errors };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('FeedFollower', () => {
  it('replays what was missed, then live events, with no duplicate or loss at the seam', async () => {
    const feed = fakeFeed();
    const out = recordingSink();
    const follower = new FeedFollower(feed.messaging, USER, out.sink, 2);
    const early = [feed.commit(), feed.commit(), feed.commit()];
    // A send commits while the replay is reading: the bus delivers it live as well.
    let raced = false;
    feed.onRead(() => {
      if (raced) return;
      raced = true;
      follower.offer(early[2]!);
      follower.offer(feed.commit());
    });
    await follower.sync('0');
    follower.offer(feed.commit());
    await settle();
    expect(out.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(out.frames).toContain('2@2');
    expect(out.frames.indexOf('synced@4')).toBe(4);
  });

  it('reads the feed again when a live event shows a gap', async () => {
    const feed = fakeFeed();
    const out = recordingSink();
    const follower = new FeedFollower(feed.messaging, USER, out.sink, 10);
    await follower.sync(null);
    feed.commit();
    follower.offer(feed.commit());
    await settle();
    expect(out.seqs).toEqual([1, 2]);
    expect(follower.position).toBe('2');
  });

  it('keeps delivering when a base for its cursor cannot be stored', async () => {
    const feed = fakeFeed();
    const out = recordingSink();
    const follower = new FeedFollower(feed.messaging, USER, out.sink, 10);
    await follower.sync(null);
    for (let i = 0; i < 7; i++) {
      follower.offer(feed.commit());
      await settle();
    }
    expect(out.seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(feed.rebases()).toBe(3);
  });

  it('delivers nothing live before the first sync', async () => {
    const feed = fakeFeed();
    const out = recordingSink();
    const follower = new FeedFollower(feed.messaging, USER, out.sink, 10);
    follower.offer(feed.commit());
    await settle();
    expect(out.seqs).toEqual([]);
  });

  it('reports an invalid cursor instead of syncing', async () => {
    const feed = fakeFeed();
    const out = recordingSink();
    await new FeedFollower(feed.messaging, USER, out.sink, 10).sync('bad');
    expect(out.frames).toEqual([]);
    expect(out.errors).toMatchObject([{ code: 'CURSOR_INVALID' }]);
  });
});

import type { ChatId, UserId } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import type { LiveChatEvent } from './api.js';
import { type FeedCursor, applyToBase, decodeCursor, parseCursor } from './feed-cursor.js';
import { BASE_FROM_CHANNELS, REBASE_AFTER, TrackedPosition } from './feed-position.js';

const me = 'me' as UserId;
const group = 'group-1' as ChatId;
const channel = 'channel-1' as ChatId;
const at = new Date(0).toISOString();
const start: FeedCursor = { pts: 5, channels: { [channel]: 10 } };

const groupEvent = (pts: number | undefined): LiveChatEvent => ({
  chatId: group,
  seq: 3,
  type: 'message.new',
  at,
  data: {},
  chatType: 'group',
  ...(pts === undefined ? {} : { positions: { [me]: pts } }),
});

const channelPost = (chatId: string, seq: number, previousSeq: number): LiveChatEvent => ({
  chatId: chatId as ChatId,
  seq,
  type: 'message.new',
  at,
  data: {},
  chatType: 'channel',
  previousSeq,
});

/** The position a cursor text names, its base given. */
const named = (text: string, base: Record<string, number>): FeedCursor => {
  const parsed = parseCursor(text);
  return parsed.kind === 'full' ? parsed.cursor : applyToBase(parsed, base);
};

const manyChannels = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`channel-${i}`, 100]));

describe('TrackedPosition', () => {
  it('places a direct or group event by the user’s feed position', () => {
    const position = new TrackedPosition(start, null);
    expect(position.follow(me, groupEvent(5))).toBe('seen');
    expect(position.follow(me, groupEvent(7))).toBe('gap');
    expect(position.follow(me, groupEvent(undefined))).toBe('not-visible');
    expect(position.follow(me, groupEvent(6))).toBe('next');
    expect(decodeCursor(position.cursor).pts).toBe(6);
  });

  it('places a channel post by the channel seq, skipping seqs that went to others only', () => {
    const position = new TrackedPosition(start, null);
    expect(position.follow(me, channelPost(channel, 10, 9))).toBe('seen');
    expect(position.follow(me, channelPost(channel, 13, 12))).toBe('gap');
    expect(position.follow(me, channelPost('channel-9', 13, 10))).toBe('not-visible');
    expect(position.follow(me, channelPost(channel, 13, 10))).toBe('next');
    expect(decodeCursor(position.cursor).channels[channel]).toBe(13);
  });

  it('starts following a channel at the user’s own join and stops at their departure', () => {
    const join: LiveChatEvent = {
      chatId: 'channel-2' as ChatId,
      seq: 4,
      type: 'chat.member',
      at,
      data: { userId: me, change: 'joined', role: 'member' },
      chatType: 'channel',
      onlyFor: [me],
      positions: { [me]: 6 },
      previousSeq: 2,
    };
    const position = new TrackedPosition(start, null);
    expect(position.follow(me, join)).toBe('next');
    expect(decodeCursor(position.cursor)).toEqual({ pts: 6, channels: { [channel]: 10, 'channel-2': 4 } });
    const leave: LiveChatEvent = { ...join, seq: 11, data: { userId: me, change: 'left', role: 'member' }, previousSeq: 10, chatId: channel, positions: { [me]: 7 } };
    expect(position.follow(me, leave)).toBe('next');
    expect(decodeCursor(position.cursor).channels).toEqual({ 'channel-2': 4 });
  });

  it('asks for a base only when the user follows more channels than a full cursor carries cheaply', () => {
    expect(new TrackedPosition({ pts: 0, channels: manyChannels(BASE_FROM_CHANNELS) }, null).wantsBase).toBe(false);
    expect(new TrackedPosition({ pts: 0, channels: manyChannels(BASE_FROM_CHANNELS + 1) }, null).wantsBase).toBe(true);
  });

  it('writes its cursor against the base: only moved channels, whatever the number of groups', () => {
    const channels = manyChannels(1_000);
    const position = new TrackedPosition({ pts: 3, channels }, { id: 7, channels, rootId: 7, depth: 0 });
    const before = position.cursor.length;
    expect(before).toBeLessThan(60);
    expect(position.follow(me, channelPost('channel-500', 101, 100))).toBe('next');
    const leave: LiveChatEvent = {
      ...channelPost('channel-9', 101, 100),
      type: 'chat.member',
      data: { userId: me, change: 'left', role: 'member' },
      onlyFor: [me],
      positions: { [me]: 4 },
    };
    expect(position.follow(me, leave)).toBe('next');
    expect(position.cursor.length).toBeLessThan(200);
    const expected: Record<string, number> = { ...channels, 'channel-500': 101 };
    delete expected['channel-9'];
    expect(named(position.cursor, channels)).toEqual({ pts: 4, channels: expected });
  });

  it('asks for a new base once more than REBASE_AFTER channels moved, and names the same position after it', () => {
    const channels = manyChannels(100);
    const position = new TrackedPosition({ pts: 0, channels }, { id: 1, channels, rootId: 1, depth: 0 });
    for (let i = 0; i < REBASE_AFTER; i++) position.follow(me, channelPost(`channel-${i}`, 101, 100));
    expect(position.wantsBase).toBe(false);
    position.follow(me, channelPost(`channel-${REBASE_AFTER}`, 101, 100));
    expect(position.wantsBase).toBe(true);
    const before = named(position.cursor, channels);
    const seqs = position.channelSeqs();
    position.rebase({ id: 2, channels: seqs, rootId: 1, depth: 1 });
    expect(position.wantsBase).toBe(false);
    expect(named(position.cursor, seqs)).toEqual(before);
    expect(parseCursor(position.cursor)).toMatchObject({ kind: 'relative', baseId: 2, changed: {}, dropped: [] });
  });

  it('waits before asking again after a base could not be stored', () => {
    const position = new TrackedPosition({ pts: 0, channels: manyChannels(20) }, null);
    position.rebaseFailed();
    expect(position.wantsBase).toBe(false);
  });
});

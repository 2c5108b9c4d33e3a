import type { ChatId, UserId } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import type { LiveChatEvent } from './api.js';
import { decodeCursor, encodeCursor } from './feed-cursor.js';
import { followEvent } from './follow-event.js';

const me = 'me' as UserId;
const group = 'group-1' as ChatId;
const channel = 'channel-1' as ChatId;
const at = new Date(0).toISOString();
const cursor = encodeCursor({ pts: 5, channels: { [channel]: 10 } });

const groupEvent = (pts: number | undefined): LiveChatEvent => ({
  chatId: group,
  seq: 3,
  type: 'message.new',
  at,
  data: {},
  chatType: 'group',
  ...(pts === undefined ? {} : { positions: { [me]: pts } }),
});

const channelPost = (seq: number, previousSeq: number): LiveChatEvent => ({
  chatId: channel,
  seq,
  type: 'message.new',
  at,
  data: {},
  chatType: 'channel',
  previousSeq,
});

describe('followEvent', () => {
  it('places a direct or group event by the user’s feed position', () => {
    const next = followEvent(me, cursor, groupEvent(6));
    expect(next.kind).toBe('next');
    expect(next.kind === 'next' && decodeCursor(next.cursor).pts).toBe(6);
    expect(followEvent(me, cursor, groupEvent(5))).toEqual({ kind: 'seen' });
    expect(followEvent(me, cursor, groupEvent(7))).toEqual({ kind: 'gap' });
    expect(followEvent(me, cursor, groupEvent(undefined))).toEqual({ kind: 'not-visible' });
  });

  it('places a channel post by the channel seq, skipping seqs that went to others only', () => {
    const next = followEvent(me, cursor, channelPost(13, 10));
    expect(next.kind === 'next' && decodeCursor(next.cursor).channels[channel]).toBe(13);
    expect(followEvent(me, cursor, channelPost(10, 9))).toEqual({ kind: 'seen' });
    expect(followEvent(me, cursor, channelPost(13, 12))).toEqual({ kind: 'gap' });
    expect(followEvent(me, encodeCursor({ pts: 5, channels: {} }), channelPost(13, 10))).toEqual({ kind: 'not-visible' });
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
    const joined = followEvent(me, cursor, join);
    expect(joined.kind === 'next' && decodeCursor(joined.cursor)).toEqual({ pts: 6, channels: { [channel]: 10, 'channel-2': 4 } });
    const leave: LiveChatEvent = { ...join, seq: 11, data: { userId: me, change: 'left', role: 'member' }, previousSeq: 10, chatId: channel };
    const left = followEvent(me, cursor, leave);
    expect(left.kind === 'next' && decodeCursor(left.cursor).channels).toEqual({});
  });
});

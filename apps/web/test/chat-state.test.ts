import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY, type MessageView, PENDING_SEQ, applyRead, prependPage, upsertMessage } from '../src/state/chat-state.js';
import type { Chat, ChatId, MessageId, UserId } from '../src/state/types.js';

const me = 'u-me' as UserId;
const peer = 'u-peer' as UserId;

function message(seq: number, overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: `m${seq}` as MessageId,
    chatId: 'c1' as ChatId,
    seq,
    senderId: peer,
    text: `text ${seq}`,
    replyToId: null,
    clientMsgId: `cm${seq}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, Math.min(seq, 59))).toISOString(),
    editedAt: null,
    deleted: false,
    status: 'sent',
    ...overrides,
  };
}

const chat: Chat = {
  id: 'c1' as ChatId,
  type: 'direct',
  title: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastSeq: 5,
  role: 'member',
  lastMessage: message(5),
  unreadCount: 2,
  peerId: peer,
  readSeq: 3,
  peerReadSeq: 0,
};

describe('message history', () => {
  it('shows a sent message once whether the ack or the live event arrives first', () => {
    const pending = message(PENDING_SEQ, { id: 'pending:x' as MessageId, clientMsgId: 'x', senderId: me, status: 'sending' });
    const stored = message(7, { id: 'm7' as MessageId, clientMsgId: 'x', senderId: me });
    const viaAck = upsertMessage(upsertMessage(upsertMessage(EMPTY_HISTORY, pending), stored), stored);
    expect(viaAck.items).toEqual([stored]);
  });

  it('keeps pending messages after stored ones and history in seq order', () => {
    const pending = message(PENDING_SEQ, { id: 'pending:y' as MessageId, clientMsgId: 'y', senderId: me, status: 'sending' });
    const history = prependPage(upsertMessage(EMPTY_HISTORY, pending), [message(3), message(2), message(1)], 3);
    expect(history.items.map((item) => item.seq)).toEqual([1, 2, 3, PENDING_SEQ]);
    expect(history.hasMore).toBe(true);
  });

  it('does not let a late copy undo an edit', () => {
    const edited = message(4, { text: 'edited', editedAt: '2026-01-01T13:00:00.000Z' });
    const history = upsertMessage(upsertMessage(EMPTY_HISTORY, edited), message(4));
    expect(history.items[0]?.text).toBe('edited');
  });

  it('marks the end of history when a page comes back short', () => {
    expect(prependPage(EMPTY_HISTORY, [message(1)], 40).hasMore).toBe(false);
  });
});

describe('read markers', () => {
  it('clears the unread badge when I read up to the last message', () => {
    expect(applyRead(chat, me, 5, me)).toMatchObject({ readSeq: 5, unreadCount: 0 });
  });

  it('moves the peer marker forward only', () => {
    const read = applyRead(chat, peer, 4, me);
    expect(read.peerReadSeq).toBe(4);
    expect(applyRead(read, peer, 2, me).peerReadSeq).toBe(4);
  });
});

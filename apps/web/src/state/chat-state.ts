import type { Chat, ChatId, ConnectionState, Me, Message, MessageId, Presence, User, UserId } from './types.js';

export type DeliveryStatus = 'sending' | 'sent' | 'failed';

export interface MessageView extends Message {
  readonly status: DeliveryStatus;
}

export interface History {
  /** Oldest first; unacknowledged messages last, in the order they were sent. */
  readonly items: readonly MessageView[];
  readonly hasMore: boolean;
  /**
   * The items are a window opened around a message found by search, and
   * newer messages exist beyond it: they load as the reader scrolls down,
   * and a live message is not added after the gap.
   */
  readonly hasNewer: boolean;
  readonly loading: boolean;
  readonly loaded: boolean;
}

/** A message to bring into view when its conversation shows (a search result that was clicked). */
export interface MessageFocus {
  readonly chatId: ChatId;
  readonly messageId: MessageId;
}

export interface MessengerState {
  readonly me: Me | null;
  readonly chats: Readonly<Record<string, Chat>>;
  readonly histories: Readonly<Record<string, History>>;
  readonly users: Readonly<Record<string, User>>;
  readonly presence: Readonly<Record<string, Presence>>;
  /** chat → user → when their "typing…" expires (ms since epoch). */
  readonly typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly connection: ConnectionState;
  readonly focus: MessageFocus | null;
}

export const EMPTY_HISTORY: History = { items: [], hasMore: true, hasNewer: false, loading: false, loaded: false };

export const INITIAL_STATE: MessengerState = {
  me: null,
  chats: {},
  histories: {},
  users: {},
  presence: {},
  typing: {},
  connection: 'connecting',
  focus: null,
};

/** Pending messages have no seq yet; they sort after every stored one. */
export const PENDING_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Adds or replaces a message. The same message can arrive three ways — the
 * optimistic copy, the send acknowledgement and the live event — and is
 * matched by id or by clientMsgId, so it is shown exactly once.
 */
export function upsertMessage(history: History, message: MessageView): History {
  const kept = history.items.filter(
    (item) => item.id !== message.id && !(item.clientMsgId === message.clientMsgId && item.senderId === message.senderId),
  );
  const existing = history.items.find((item) => item.id === message.id);
  // A late copy (the send acknowledgement after an edit event) must not undo an edit or a delete.
  const next = existing && isOlderVersion(message, existing) ? existing : message;
  const index = kept.findIndex((item) => item.seq > next.seq);
  const items = index === -1 ? [...kept, next] : [...kept.slice(0, index), next, ...kept.slice(index)];
  return { ...history, items };
}

function isOlderVersion(candidate: Message, existing: Message): boolean {
  if (existing.deleted && !candidate.deleted) return true;
  return Boolean(existing.editedAt && (!candidate.editedAt || candidate.editedAt < existing.editedAt));
}

/** Prepends an older page (newest first from the server). */
export function prependPage(history: History, page: readonly Message[], limit: number): History {
  let next: History = { ...history, hasMore: page.length >= limit, loading: false, loaded: true };
  for (const message of page) next = upsertMessage(next, { ...message, status: 'sent' });
  return next;
}

/**
 * The history around one message: `older` newest first from the server
 * (the message itself included), `newer` oldest first after it.
 */
export function windowAround(older: readonly Message[], newer: readonly Message[], limits: { readonly older: number; readonly newer: number }): History {
  let next: History = { items: [], hasMore: older.length >= limits.older, hasNewer: newer.length >= limits.newer, loading: false, loaded: true };
  for (const message of [...older, ...newer]) next = upsertMessage(next, { ...message, status: 'sent' });
  return next;
}

/** Appends a newer page (oldest first from the server) to a window; the gap closes when a page comes back short. */
export function appendPage(history: History, page: readonly Message[], limit: number): History {
  let next: History = { ...history, hasNewer: page.length >= limit, loading: false };
  for (const message of page) next = upsertMessage(next, { ...message, status: 'sent' });
  return next;
}

export function markFailed(history: History, clientMsgId: string): History {
  return { ...history, items: history.items.map((item) => (item.clientMsgId === clientMsgId && item.status === 'sending' ? { ...item, status: 'failed' } : item)) };
}

/** Updates the chat-list row for a new or changed message. */
export function applyMessageToChat(chat: Chat, message: Message, meId: UserId | undefined, isNew: boolean): Chat {
  const last = chat.lastMessage;
  const newer = !last || message.seq >= last.seq;
  const fromPeer = message.senderId !== meId;
  return {
    ...chat,
    lastSeq: Math.max(chat.lastSeq, message.seq),
    lastMessage: newer || last?.id === message.id ? message : last,
    unreadCount: isNew && fromPeer && message.seq > chat.readSeq ? chat.unreadCount + 1 : chat.unreadCount,
    // Sending is reading: my own message moves my marker.
    readSeq: isNew && !fromPeer ? Math.max(chat.readSeq, message.seq) : chat.readSeq,
  };
}

export function applyRead(chat: Chat, userId: UserId, seq: number, meId: UserId | undefined): Chat {
  if (userId === meId) {
    if (seq <= chat.readSeq) return chat;
    return { ...chat, readSeq: seq, unreadCount: seq >= (chat.lastMessage?.seq ?? 0) ? 0 : chat.unreadCount };
  }
  return seq > chat.peerReadSeq ? { ...chat, peerReadSeq: seq } : chat;
}

/** Chats by most recent activity, newest first. */
export function sortChats(chats: Readonly<Record<string, Chat>>): readonly Chat[] {
  return Object.values(chats).sort((a, b) => activityOf(b).localeCompare(activityOf(a)));
}

function activityOf(chat: Chat): string {
  return chat.lastMessage?.createdAt ?? chat.createdAt;
}

export function typingUsers(state: MessengerState, chatId: ChatId, now: number): readonly UserId[] {
  const entries = state.typing[chatId] ?? {};
  return Object.entries(entries)
    .filter(([userId, until]) => until > now && userId !== state.me?.id)
    .map(([userId]) => userId as UserId);
}

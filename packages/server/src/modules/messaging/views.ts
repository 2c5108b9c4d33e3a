import type { ChatId, ChatView, MessageId, UserId } from '@kaif/protocol';
import type { ChatRole, Message } from './api.js';
import type { ChatsTable, MessagesTable } from './messaging-tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Chat and message ids are UUIDs; anything else names nothing. */
export const isUuid = (value: string): boolean => UUID.test(value);

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

export type MessageRow = Pick<
  MessagesTable,
  'id' | 'chat_id' | 'seq' | 'sender_id' | 'client_msg_id' | 'text' | 'reply_to_id' | 'forwarded_from' | 'media' | 'created_at' | 'edited_at' | 'deleted_at'
>;

export const MESSAGE_COLUMNS = [
  'id',
  'chat_id',
  'seq',
  'sender_id',
  'client_msg_id',
  'text',
  'reply_to_id',
  'forwarded_from',
  'media',
  'created_at',
  'edited_at',
  'deleted_at',
] as const;

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id as MessageId,
    chatId: row.chat_id as ChatId,
    seq: row.seq,
    senderId: row.sender_id as UserId,
    text: row.deleted_at ? null : row.text,
    replyToId: (row.reply_to_id as MessageId | null) ?? null,
    clientMsgId: row.client_msg_id,
    createdAt: iso(row.created_at),
    editedAt: row.edited_at ? iso(row.edited_at) : null,
    deleted: row.deleted_at !== null,
    forwardedFrom: (row.forwarded_from as Message['forwardedFrom']) ?? null,
    ...(row.media && !row.deleted_at ? { media: row.media as Message['media'] } : {}),
  };
}

/** The media column's value: null when the message carries none. */
export const mediaJson = (message: Message): string | null => (message.media && message.media.length > 0 ? JSON.stringify(message.media) : null);

/** The message without its media: what a deleted message keeps. */
export function withoutMedia(message: Message): Message {
  const { media: _gone, ...rest } = message;
  return rest;
}

export type ChatRow = Pick<
  ChatsTable,
  'id' | 'type' | 'title' | 'description' | 'direct_low' | 'direct_high' | 'member_count' | 'last_seq' | 'created_at'
>;

export const CHAT_COLUMNS = [
  'id',
  'type',
  'title',
  'description',
  'direct_low',
  'direct_high',
  'member_count',
  'last_seq',
  'created_at',
] as const;

/** The other member of a direct chat, as `viewer` sees it; null in groups and channels. */
export function directPeerOf(row: Pick<ChatRow, 'type' | 'direct_low' | 'direct_high'>, viewer: string): UserId | null {
  if (row.type !== 'direct') return null;
  return (row.direct_low === viewer ? row.direct_high : row.direct_low) as UserId;
}

export function toChat(row: ChatRow, viewer: string, role: ChatRole): ChatView {
  return {
    id: row.id as ChatId,
    type: row.type,
    title: row.title,
    description: row.description,
    createdAt: iso(row.created_at),
    lastSeq: row.last_seq,
    role,
    memberCount: row.member_count,
    peerId: directPeerOf(row, viewer),
  };
}

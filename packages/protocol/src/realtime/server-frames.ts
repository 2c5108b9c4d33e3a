import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { ErrorCode } from '../errors.js';
import type { ChatId, MessageId, UserId } from '../ids.js';

/**
 * Frames the gateway sends on `GET /ws`. Every event frame carries `type`
 * and `cursor` (API.md): a client that reconnects sends `sync` with the last
 * cursor it processed and gets exactly what it missed.
 */

/** WebSocket close codes the gateway uses, besides the RFC 6455 ones. */
export const CLOSE_CODES = {
  /** Going away: the server is shutting down; reconnect elsewhere. */
  GOING_AWAY: 1001,
  /** Policy violation (RFC 6455 §7.4.1): more frames arrived before `ready` than the frame burst; wait for `ready`. */
  POLICY_VIOLATION: 1008,
  /** A frame exceeded MAX_CLIENT_FRAME_BYTES. */
  FRAME_TOO_LARGE: 1009,
  /** The client read too slowly and its send buffer overflowed; reconnect and sync. */
  TRY_AGAIN_LATER: 1013,
  /** Authentication failed, timed out, or the session was revoked: do not retry with the same token. */
  UNAUTHORIZED: 4401,
} as const;

const ChatIdField = Type.Unsafe<ChatId>(Type.String());
const UserIdField = Type.Unsafe<UserId>(Type.String());
const Cursor = Type.String({ description: 'opaque; resume from it with sync' });
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });

export const RealtimeMessageSchema = Type.Object({
  id: Type.Unsafe<MessageId>(Type.String()),
  chatId: ChatIdField,
  seq: Type.Integer(),
  senderId: UserIdField,
  text: Type.Union([Type.String(), Type.Null()]),
  replyToId: Type.Union([Type.Unsafe<MessageId>(Type.String()), Type.Null()]),
  clientMsgId: Type.String(),
  createdAt: Timestamp,
  editedAt: Type.Union([Timestamp, Type.Null()]),
  deleted: Type.Boolean(),
});
export type RealtimeMessage = Static<typeof RealtimeMessageSchema>;

export const FrameErrorSchema = Type.Object({
  code: Type.Unsafe<ErrorCode>(Type.String()),
  message: Type.String(),
  retryAfter: Type.Optional(Type.Number({ description: 'seconds, on FLOOD_WAIT' })),
  field: Type.Optional(Type.String()),
});

/** A chat log entry: `seq` is the chat's gap-free sequence number, `at` when it happened. */
function chatEvent<T extends string, D extends TSchema>(type: T, data: D) {
  return Type.Object({
    type: Type.Literal(type),
    cursor: Cursor,
    chatId: ChatIdField,
    seq: Type.Integer(),
    at: Timestamp,
    data,
  });
}

export const MessageNewEvent = chatEvent('message.new', RealtimeMessageSchema);
export const MessageEditedEvent = chatEvent('message.edited', RealtimeMessageSchema);
export const MessageDeletedEvent = chatEvent('message.deleted', RealtimeMessageSchema);
/** Only the reader's own devices see it. */
export const ChatReadEvent = chatEvent('chat.read', Type.Object({ userId: UserIdField, seq: Type.Integer() }));
export const ChatMemberEvent = chatEvent(
  'chat.member',
  Type.Object({
    userId: UserIdField,
    change: Type.Union([Type.Literal('joined'), Type.Literal('left'), Type.Literal('removed'), Type.Literal('role')]),
    role: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
);
export const ChatUpdatedEvent = chatEvent(
  'chat.updated',
  Type.Object({ title: Type.Optional(Type.Union([Type.String(), Type.Null()])), description: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
);

/**
 * Live only, never stored or replayed. `cursor` is the connection's current
 * feed position (null before `synced`), so resuming from it is always safe.
 * The indicator should disappear after `expiresInMs` unless renewed.
 */
export const TypingEvent = Type.Object({
  type: Type.Literal('typing'),
  cursor: Type.Union([Cursor, Type.Null()]),
  chatId: ChatIdField,
  userId: UserIdField,
  expiresInMs: Type.Integer(),
});

/** Live only: a contact came online or went offline. */
export const PresenceEvent = Type.Object({
  type: Type.Literal('presence'),
  cursor: Type.Union([Cursor, Type.Null()]),
  userId: UserIdField,
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  lastSeen: Type.Union([Timestamp, Type.Null()]),
});

export const ChatEventFrame = Type.Union([
  MessageNewEvent,
  MessageEditedEvent,
  MessageDeletedEvent,
  ChatReadEvent,
  ChatMemberEvent,
  ChatUpdatedEvent,
]);

export const EventFrame = Type.Union([...ChatEventFrame.anyOf, TypingEvent, PresenceEvent]);

export const ReadyFrame = Type.Object({ type: Type.Literal('ready'), userId: UserIdField });
export const SyncedFrame = Type.Object({ type: Type.Literal('synced'), cursor: Cursor });
/** Sent only after the message is durable (committed). */
export const AckFrame = Type.Object({ type: Type.Literal('ack'), id: Type.String(), message: RealtimeMessageSchema });
/** `id` names the client frame it answers, when there is one. */
export const ErrorFrame = Type.Object({ type: Type.Literal('error'), id: Type.Optional(Type.String()), error: FrameErrorSchema });
export const PongFrame = Type.Object({ type: Type.Literal('pong') });

export const ServerFrame = Type.Union([ReadyFrame, SyncedFrame, AckFrame, ErrorFrame, PongFrame, ...EventFrame.anyOf]);

export type ChatEventFrame = Static<typeof ChatEventFrame>;
export type TypingEvent = Static<typeof TypingEvent>;
export type PresenceEvent = Static<typeof PresenceEvent>;
export type EventFrame = Static<typeof EventFrame>;
export type EventFrameType = EventFrame['type'];
export type ReadyFrame = Static<typeof ReadyFrame>;
export type SyncedFrame = Static<typeof SyncedFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type PongFrame = Static<typeof PongFrame>;
export type ServerFrame = Static<typeof ServerFrame>;

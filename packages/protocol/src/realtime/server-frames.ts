import { type Static, Type } from '@sinclair/typebox';
import { CHAT_EVENT_DATA, ChatEventFields, type ChatEventType } from '../chat-event.js';
import type { ErrorCode } from '../errors.js';
import { ChatIdSchema, UserIdSchema } from '../ids.js';
import { MessageSchema } from '../message.js';
import { PresenceStatusSchema } from '../presence.js';
import { Instant } from '../instant.js';
import { WalletBalanceEventSchema } from '../api/wallet.js';

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
  /** Not now: the client read too slowly and its send buffer overflowed, or its token could not be checked (a dependency is down); reconnect with backoff and sync. */
  TRY_AGAIN_LATER: 1013,
  /** Authentication failed, timed out, or the session was revoked: do not retry with the same token. */
  UNAUTHORIZED: 4401,
} as const;

const Cursor = Type.String({ description: 'opaque; resume from it with sync' });

export const FrameErrorSchema = Type.Object({
  code: Type.Unsafe<ErrorCode>(Type.String()),
  message: Type.String(),
  retryAfter: Type.Optional(Type.Number({ description: 'seconds, on FLOOD_WAIT' })),
  field: Type.Optional(Type.String()),
});

/** A chat event (see chat-event.ts) with the cursor to resume from after it. */
function chatEventFrame<T extends ChatEventType>(type: T) {
  return Type.Object({ type: Type.Literal(type), cursor: Cursor, ...ChatEventFields, data: CHAT_EVENT_DATA[type] });
}

export const MessageNewEvent = chatEventFrame('message.new');
export const MessageEditedEvent = chatEventFrame('message.edited');
export const MessageDeletedEvent = chatEventFrame('message.deleted');
export const ChatReadEvent = chatEventFrame('chat.read');
export const ChatMemberEvent = chatEventFrame('chat.member');
export const ChatUpdatedEvent = chatEventFrame('chat.updated');

/**
 * Live only, never stored or replayed. `cursor` is the connection's current
 * feed position (null before `synced`), so resuming from it is always safe.
 * The indicator should disappear after `expiresInMs` (TYPING_EXPIRES_MS)
 * unless renewed.
 */
export const TypingEvent = Type.Object({
  type: Type.Literal('typing'),
  cursor: Type.Union([Cursor, Type.Null()]),
  chatId: ChatIdSchema,
  userId: UserIdSchema,
  expiresInMs: Type.Integer(),
});

/** Live only: a contact came online, went away or went offline. */
export const PresenceEvent = Type.Object({
  type: Type.Literal('presence'),
  cursor: Type.Union([Cursor, Type.Null()]),
  userId: UserIdSchema,
  status: PresenceStatusSchema,
  lastSeen: Type.Union([Instant, Type.Null()]),
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

export const ReadyFrame = Type.Object({ type: Type.Literal('ready'), userId: UserIdSchema });
export const SyncedFrame = Type.Object({ type: Type.Literal('synced'), cursor: Cursor });
/** Sent only after the message is durable (committed). */
export const AckFrame = Type.Object({ type: Type.Literal('ack'), id: Type.String(), message: MessageSchema });
/** `id` names the client frame it answers, when there is one. */
export const ErrorFrame = Type.Object({ type: Type.Literal('error'), id: Type.Optional(Type.String()), error: FrameErrorSchema });
export const PongFrame = Type.Object({ type: Type.Literal('pong') });

/**
 * Live only: one of the user's balances moved (a transfer, a deposit, an
 * escrow step…); `amount` is the new balance. Missed ones are not replayed:
 * a client that reconnects reads GET /api/v1/wallet.
 */
export const WalletBalanceFrame = WalletBalanceEventSchema;

export const ServerFrame = Type.Union([ReadyFrame, SyncedFrame, AckFrame, ErrorFrame, PongFrame, ...EventFrame.anyOf, WalletBalanceFrame]);

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
export type WalletBalanceFrame = Static<typeof WalletBalanceFrame>;
export type ServerFrame = Static<typeof ServerFrame>;

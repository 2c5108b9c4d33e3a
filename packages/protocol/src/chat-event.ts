import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ChatRoleSchema } from './chat-kind.js';
import { ChatIdSchema, UserIdSchema } from './ids.js';
import { MessageSchema } from './message.js';
import { Instant } from './instant.js';

/**
 * A chat event: one entry of a chat's log, with the chat's gap-free `seq`
 * and when it happened (`at`). The change feed over HTTP, the WebSocket
 * event frames and the server's messaging interface share these shapes.
 */

const Seq = Type.Integer({ minimum: 0 });

/**
 * `chat.read`: a member's read marker moved to `seq`. In direct chats and
 * groups every member sees it (read receipts); in a channel only the
 * reader's own devices do.
 */
export const ChatReadData = Type.Object({ userId: UserIdSchema, seq: Seq });
export const ChatMemberData = Type.Object({
  userId: UserIdSchema,
  change: Type.Union([Type.Literal('joined'), Type.Literal('left'), Type.Literal('removed'), Type.Literal('role')]),
  role: Type.Optional(Type.Union([ChatRoleSchema, Type.Null()])),
});
export const ChatUpdatedData = Type.Object({
  title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** What each type of event carries in `data`. */
export const CHAT_EVENT_DATA = {
  'message.new': MessageSchema,
  'message.edited': MessageSchema,
  'message.deleted': MessageSchema,
  'chat.read': ChatReadData,
  'chat.member': ChatMemberData,
  'chat.updated': ChatUpdatedData,
} as const satisfies Record<string, TSchema>;

export type ChatEventType = keyof typeof CHAT_EVENT_DATA;
export const CHAT_EVENT_TYPES = Object.keys(CHAT_EVENT_DATA) as readonly ChatEventType[];
export const ChatEventTypeSchema = Type.Union(CHAT_EVENT_TYPES.map((type) => Type.Literal(type)));

/** The fields every chat event has, whatever its type. */
export const ChatEventFields = { chatId: ChatIdSchema, seq: Seq, at: Instant };

/**
 * A chat event as stored and relayed, its `data` as CHAT_EVENT_DATA says
 * for its type. The HTTP change feed answers with these.
 */
export const ChatEventSchema = Type.Object({
  ...ChatEventFields,
  type: ChatEventTypeSchema,
  data: Type.Unsafe<Readonly<Record<string, unknown>>>(Type.Object({}, { additionalProperties: true })),
});
export type ChatEvent = Readonly<Static<typeof ChatEventSchema>>;

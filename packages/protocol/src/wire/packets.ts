import { type Static, type StaticDecode, type TSchema, Type } from '@sinclair/typebox';
import type { ErrorCode } from '../errors.js';
import type { ChatId, MessageId, UserId } from '../ids.js';
import { ClientMsgId, IdText, MessageText, TokenText } from '../limits.js';
import { MediaIdsInput, MediaSchema } from '../media.js';
import { PresenceStatusSchema } from '../presence.js';
import { SafeText } from '../text.js';

/**
 * CosmicProto packets, as in the original Messaging Layer design: JSON (or
 * MessagePack) objects discriminated on `packet_type`, with snake_case fields.
 * The schemas are the single source for validation and for the types.
 */

/** Default largest packet, in bytes of its encoding, that a reader accepts. */
export const MAX_PACKET_BYTES = 1024 * 1024;

/** Codes of the registry (errors.ts) that only the wire layer produces. */
export type WireErrorCode = Extract<ErrorCode, 'MALFORMED_PACKET' | 'PACKET_TOO_LARGE' | 'UNKNOWN_PACKET_TYPE'>;

type DeepReadonly<T> = T extends string | number | boolean | bigint | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

/**
 * Original clients send ids as JSON numbers, newer ones as strings, and
 * MessagePack 64-bit integers decode to bigint; all become strings. Numbers
 * above 2^53 are refused rather than silently rounded by JSON.parse.
 */
function idInput<Id extends string>() {
  return Type.Transform(
    Type.Union(
      [
        IdText,
        Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        Type.BigInt({ minimum: 0n }),
      ],
      { description: 'an id: a non-empty string or a non-negative integer' },
    ),
  )
    .Decode((id) => String(id) as Id)
    .Encode((id) => id);
}

function id<Id extends string>() {
  return Type.Unsafe<Id>(Type.String());
}

/** Every client packet may carry its own token; UDP packets must, since a datagram has no session. */
const OptionalToken = Type.Optional(TokenText);

// Client → server. Object schemas allow unknown properties (so the original
// client's `sender_id` / `user_id` are tolerated); parseClientPacket strips them.

const AuthPacket = Type.Object({ packet_type: Type.Literal('Auth'), token: TokenText });

const SendMessagePacket = Type.Object({
  packet_type: Type.Literal('SendMessage'),
  message: Type.Object({
    chat_id: idInput<ChatId>(),
    /** Optional only with media_ids: a caption. */
    content: Type.Optional(MessageText),
    message_type: Type.Optional(SafeText({ minLength: 1, maxLength: 32 })),
    /** Media uploaded over HTTP (POST /api/v1/media), attached in this order. */
    media_ids: Type.Optional(MediaIdsInput),
  }),
  client_msg_id: Type.Optional(ClientMsgId),
  token: OptionalToken,
});

const GetMessagesPacket = Type.Object({
  packet_type: Type.Literal('GetMessages'),
  chat_id: idInput<ChatId>(),
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1 })),
  token: OptionalToken,
});

const PingPacket = Type.Object({ packet_type: Type.Literal('Ping'), token: OptionalToken });

const ClientStatusPacket = Type.Object({
  packet_type: Type.Literal('Status'),
  status_data: PresenceStatusSchema,
  token: OptionalToken,
});

const ClientTypingPacket = Type.Object({
  packet_type: Type.Literal('Typing'),
  chat_id: idInput<ChatId>(),
  token: OptionalToken,
});

export const ClientPacketSchemas = {
  Auth: AuthPacket,
  SendMessage: SendMessagePacket,
  GetMessages: GetMessagesPacket,
  Ping: PingPacket,
  Status: ClientStatusPacket,
  Typing: ClientTypingPacket,
} as const satisfies Record<string, TSchema>;

export type ClientPacketType = keyof typeof ClientPacketSchemas;

/** A validated client packet: ids are strings and unknown fields are gone. */
export type ClientPacket = DeepReadonly<StaticDecode<(typeof ClientPacketSchemas)[ClientPacketType]>>;

// Server → client.

export const WireMessage = Type.Object({
  id: id<MessageId>(),
  chat_id: id<ChatId>(),
  seq: Type.Integer({ minimum: 0 }),
  sender_id: id<UserId>(),
  content: Type.String(),
  message_type: Type.String(),
  client_msg_id: Type.Optional(Type.String()),
  created_at: Type.String({ description: 'ISO-8601 UTC' }),
  /** API.md `media`, as over HTTP (camelCase inside: the same object every transport carries). */
  media: Type.Optional(Type.Array(MediaSchema)),
  /** Secret chats (message_type `Encrypted`, content empty): the MLS message, base64, as the sender sent it. */
  ciphertext: Type.Optional(Type.String()),
  secret_kind: Type.Optional(Type.String()),
  epoch: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type WireMessage = DeepReadonly<Static<typeof WireMessage>>;

/** An Ack either succeeded (and may name the stored message) or carries an error, never both. */
const AckPacket = Type.Union([
  Type.Object({
    packet_type: Type.Literal('Ack'),
    success: Type.Literal(true),
    message_id: Type.Optional(id<MessageId>()),
    client_msg_id: Type.Optional(Type.String()),
  }),
  Type.Object({
    packet_type: Type.Literal('Ack'),
    success: Type.Literal(false),
    error: Type.String(),
    client_msg_id: Type.Optional(Type.String()),
    /** Seconds to wait before sending again, on FLOOD_WAIT. */
    retry_after: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
]);

/** One page of a chat's history, newest first; page 1 is the newest. */
const MessagesPacket = Type.Object({
  packet_type: Type.Literal('Messages'),
  chat_id: id<ChatId>(),
  messages: Type.Array(WireMessage),
});

const PongPacket = Type.Object({ packet_type: Type.Literal('Pong') });

const NewMessagePacket = Type.Object({ packet_type: Type.Literal('NewMessage'), message: WireMessage });

const ServerTypingPacket = Type.Object({
  packet_type: Type.Literal('Typing'),
  chat_id: id<ChatId>(),
  user_id: id<UserId>(),
});

const ServerStatusPacket = Type.Object({
  packet_type: Type.Literal('Status'),
  user_id: id<UserId>(),
  status_data: PresenceStatusSchema,
});

const ErrorPacket = Type.Object({
  packet_type: Type.Literal('Error'),
  error: Type.Object({
    code: Type.Unsafe<ErrorCode | WireErrorCode>(Type.String()),
    message: Type.String(),
    /** Seconds to wait before sending again, on FLOOD_WAIT. */
    retry_after: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
});

export const ServerPacket = Type.Union([
  AckPacket,
  MessagesPacket,
  PongPacket,
  NewMessagePacket,
  ServerTypingPacket,
  ServerStatusPacket,
  ErrorPacket,
]);
export type ServerPacket = DeepReadonly<Static<typeof ServerPacket>>;

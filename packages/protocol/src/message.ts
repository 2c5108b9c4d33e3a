import { type Static, Type } from '@sinclair/typebox';
import { ChatIdSchema, MessageIdSchema, UserIdSchema } from './ids.js';
import { Instant } from './instant.js';
import { MediaSchema } from './media.js';

/**
 * The MLS message a secret chat's message carries (RFC 9420 §6): an
 * application message, a commit or a proposal. Welcomes never enter the log:
 * they go to one device's inbox (api/secret.ts).
 */
export const SecretKindSchema = Type.Union([Type.Literal('application'), Type.Literal('commit'), Type.Literal('proposal')]);
export type SecretKind = Static<typeof SecretKindSchema>;

/**
 * API.md `message`, plus `forwardedFrom` for forwarded copies: the one shape
 * of a message, whether it comes from HTTP, in a WebSocket event or ack, or
 * from the server's messaging interface. CosmicProto's `WireMessage` is a
 * projection of it.
 */
/**
 * What a `transfer` message carries: a wallet transfer between two members
 * of the chat, posted by the wallet after the money moved (the wallet
 * README). Amounts are smallest units as decimal strings.
 */
export const MessageTransferSchema = Type.Object({
  id: Type.String(),
  fromUserId: UserIdSchema,
  toUserId: UserIdSchema,
  asset: Type.String(),
  amount: Type.String(),
});
export type MessageTransfer = Static<typeof MessageTransferSchema>;

export const MessageSchema = Type.Object({
  id: MessageIdSchema,
  chatId: ChatIdSchema,
  /** The chat's gap-free sequence number of the event that created it. */
  seq: Type.Integer({ minimum: 0 }),
  senderId: UserIdSchema,
  /** Null once deleted. */
  text: Type.Union([Type.String(), Type.Null()]),
  replyToId: Type.Union([MessageIdSchema, Type.Null()]),
  clientMsgId: Type.String(),
  createdAt: Instant,
  editedAt: Type.Union([Instant, Type.Null()]),
  deleted: Type.Boolean(),
  forwardedFrom: Type.Union([Type.Object({ chatId: ChatIdSchema, messageId: MessageIdSchema, senderId: UserIdSchema }), Type.Null()]),
  /** Attached media, in the order sent; absent when none, and gone once the message is deleted. */
  media: Type.Optional(Type.Array(MediaSchema)),
  /** Secret chats only (text is then null): the MLS message, base64, opaque to the server. */
  ciphertext: Type.Optional(Type.String()),
  /** Secret chats only: what kind of MLS message the ciphertext is. */
  secretKind: Type.Optional(SecretKindSchema),
  /** Secret chats only: the MLS epoch the sender built it in. */
  epoch: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A message of kind `transfer` (text is then null): the wallet transfer it shows. */
  transfer: Type.Optional(MessageTransferSchema),
});
export type MessageView = Readonly<Static<typeof MessageSchema>>;

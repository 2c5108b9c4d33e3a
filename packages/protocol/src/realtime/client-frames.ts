import { type Static, Type } from '@sinclair/typebox';
import { ChatIdInput, ClientMsgId, CursorText, MessageIdInput, MessageText, TokenText } from '../limits.js';
import { SafeText } from '../text.js';
import { MediaIdsInput } from '../media.js';
import { SendSecretMessageBody } from '../api/secret.js';

/**
 * Frames a client sends on `GET /ws` (API.md "Real time"): JSON text frames
 * discriminated on `type`. These schemas are the single source for the
 * gateway's validation and for the SDK's types.
 */

/** Largest frame, in bytes, the gateway accepts; a larger one closes the socket with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** Chosen by the client; echoed on the ack or error that answers the frame. */
const FrameId = SafeText({ minLength: 1, maxLength: 64 });

export const AuthFrame = Type.Object({ type: Type.Literal('auth'), token: TokenText });

/** `since: null` starts from now; otherwise every event after that cursor is replayed first. */
export const SyncFrame = Type.Object({
  type: Type.Literal('sync'),
  since: Type.Union([CursorText, Type.Null()]),
});

/** Idempotent by (chat, sender, clientMsgId): resending after an uncertain disconnect stores nothing twice. */
export const SendMessageFrame = Type.Object({
  type: Type.Literal('message.send'),
  id: FrameId,
  chatId: ChatIdInput,
  clientMsgId: ClientMsgId,
  /** Optional only with mediaIds: a caption. */
  text: Type.Optional(MessageText),
  replyToId: Type.Optional(Type.Union([MessageIdInput, Type.Null()])),
  mediaIds: Type.Optional(MediaIdsInput),
});

/**
 * An MLS message into a secret chat: the body of `POST
 * /api/v1/chats/:id/secret-messages`, answered like `message.send` (an ack,
 * or an error such as EPOCH_CONFLICT). The frame is bounded by
 * MAX_CLIENT_FRAME_BYTES: a commit larger than that goes over HTTP.
 */
export const SendSecretFrame = Type.Object({
  type: Type.Literal('secret.send'),
  id: FrameId,
  chatId: ChatIdInput,
  ...SendSecretMessageBody.properties,
});

export const ReadFrame = Type.Object({
  type: Type.Literal('read'),
  chatId: ChatIdInput,
  seq: Type.Integer({ minimum: 0 }),
});

export const TypingFrame = Type.Object({ type: Type.Literal('typing'), chatId: ChatIdInput });

export const PingFrame = Type.Object({ type: Type.Literal('ping') });

export const ClientFrame = Type.Union([AuthFrame, SyncFrame, SendMessageFrame, SendSecretFrame, ReadFrame, TypingFrame, PingFrame]);

export type AuthFrame = Static<typeof AuthFrame>;
export type SyncFrame = Static<typeof SyncFrame>;
export type SendMessageFrame = Static<typeof SendMessageFrame>;
export type SendSecretFrame = Static<typeof SendSecretFrame>;
export type ReadFrame = Static<typeof ReadFrame>;
export type TypingFrame = Static<typeof TypingFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type ClientFrame = Static<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];

/** Every client frame type, for validating the discriminant before the body. */
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = ['auth', 'sync', 'message.send', 'secret.send', 'read', 'typing', 'ping'];

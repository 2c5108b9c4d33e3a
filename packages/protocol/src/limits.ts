import { Type } from '@sinclair/typebox';
import type { ChatId, MessageId, UserId } from './ids.js';
import { SafeText } from './text.js';

/**
 * What a client may send, and how much of it: one limit each, the same over
 * HTTP, WebSocket frames and CosmicProto packets (JSON and MessagePack).
 * Lengths are Unicode code points (see SafeText).
 */

/** A message holds 1 to 4,096 characters. */
export const MESSAGE_MAX_CHARS = 4096;
/** The client's id for a send (its retry key, like Telegram's random_id). */
export const CLIENT_MSG_ID_MAX_CHARS = 64;
/** Ids the server hands out are UUIDs; a longer id a client sends names nothing. */
export const ID_MAX_CHARS = 64;
/** An access token; ours are a few hundred characters. */
export const TOKEN_MAX_CHARS = 8192;
/**
 * A feed cursor names every group and channel of its user, so it grows with
 * them (about 55 bytes each). Over WebSocket the 64 KiB frame limit
 * (MAX_CLIENT_FRAME_BYTES) binds first: about 1,100 groups and channels.
 */
export const CURSOR_MAX_CHARS = 262_144;

export const MessageText = SafeText({ minLength: 1, maxLength: MESSAGE_MAX_CHARS });
export const ClientMsgId = SafeText({ minLength: 1, maxLength: CLIENT_MSG_ID_MAX_CHARS });
export const IdText = SafeText({ minLength: 1, maxLength: ID_MAX_CHARS });
export const TokenText = SafeText({ minLength: 1, maxLength: TOKEN_MAX_CHARS });
export const CursorText = SafeText({ minLength: 1, maxLength: CURSOR_MAX_CHARS });

/** Ids a client names, typed by kind. */
export const UserIdInput = Type.Unsafe<UserId>(IdText);
export const ChatIdInput = Type.Unsafe<ChatId>(IdText);
export const MessageIdInput = Type.Unsafe<MessageId>(IdText);

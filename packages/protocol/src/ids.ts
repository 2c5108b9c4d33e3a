import { Type } from '@sinclair/typebox';

declare const brand: unique symbol;

/** A string id that cannot be confused with another kind of id. */
export type Branded<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Branded<string, 'UserId'>;
export type ChatId = Branded<string, 'ChatId'>;
export type MessageId = Branded<string, 'MessageId'>;
export type SessionId = Branded<string, 'SessionId'>;

/** Ids as the server hands them out, in response schemas: checked as strings, typed by kind. */
export const UserIdSchema = Type.Unsafe<UserId>(Type.String());
export const ChatIdSchema = Type.Unsafe<ChatId>(Type.String());
export const MessageIdSchema = Type.Unsafe<MessageId>(Type.String());

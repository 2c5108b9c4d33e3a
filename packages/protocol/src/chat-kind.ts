import { type Static, Type } from '@sinclair/typebox';

/**
 * What kind of chat: a direct chat has exactly two members, a group up to
 * GROUP_MAX_MEMBERS, a channel any number; a secret chat is a group whose
 * messages are MLS ciphertext the server cannot open (see api/secret.ts).
 */
export const ChatTypeSchema = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel'), Type.Literal('secret')]);
export type ChatType = Static<typeof ChatTypeSchema>;

/** A member's standing in a chat. */
export const ChatRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export type ChatRole = Static<typeof ChatRoleSchema>;

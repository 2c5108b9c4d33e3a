import { type Static, Type } from '@sinclair/typebox';
import { ChatIdInput, CursorText, UserIdInput } from '../limits.js';
import { MessageSchema } from '../message.js';
import { SafeText } from '../text.js';
import { Instant } from '../instant.js';

/**
 * Message search (API.md "Search"): the shapes shared by the server's
 * validation, the OpenAPI document and the web client.
 */

/** Search pages hold at most this many messages. */
export const SEARCH_MAX_LIMIT = 50;
/** A search text is a few words; longer ones are refused before they reach the database. */
export const SEARCH_QUERY_MAX_CHARS = 256;

export const MessageSearchQuery = Type.Object({
  q: SafeText({
    minLength: 1,
    maxLength: SEARCH_QUERY_MAX_CHARS,
    description: 'Words to find, in any form (Russian and English); the last one also as a prefix',
  }),
  chatId: Type.Optional(ChatIdInput),
  senderId: Type.Optional(UserIdInput),
  before: Type.Optional(Type.Unsafe<string>({ ...Instant, description: 'Only messages sent before this instant' })),
  after: Type.Optional(Type.Unsafe<string>({ ...Instant, description: 'Only messages sent at or after this instant' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_MAX_LIMIT })),
  cursor: Type.Optional(CursorText),
});
/** `GET /api/v1/search/messages`: `q` is required; the rest narrow or page. */
export type MessageSearchParams = Static<typeof MessageSearchQuery>;

/** Where the query's words are in `snippet`: UTF-16 offsets, as JavaScript strings index. */
export const HighlightSchema = Type.Object({ start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) });

/** A message found (it names its chat: `chatId`), with the fragment that matched. */
export const MessageSearchHitSchema = Type.Composite([
  MessageSchema,
  Type.Object({
    /** A fragment of the text around the words found (the whole text when short). */
    snippet: Type.String(),
    highlights: Type.Array(HighlightSchema),
  }),
]);

export type MessageSearchHit = Static<typeof MessageSearchHitSchema>;

export const MessageSearchResponse = Type.Object({
  messages: Type.Array(MessageSearchHitSchema),
  /** Present while more results follow: pass it as `cursor` with the same query. */
  nextCursor: Type.Optional(Type.String()),
});
export type MessageSearchPage = Static<typeof MessageSearchResponse>;

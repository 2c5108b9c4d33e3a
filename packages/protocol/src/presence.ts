import { type Static, Type } from '@sinclair/typebox';
import { UserIdSchema } from './ids.js';
import { Instant } from './instant.js';

/**
 * Presence, one definition for every transport: a client may say it is
 * `away` (CosmicProto `Status`), and a WebSocket client sees that as it is.
 */
export const PresenceStatusSchema = Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('away')]);
export type PresenceStatus = Static<typeof PresenceStatusSchema>;

/**
 * `GET /api/v1/users/:id/presence`. `unknown` when the user's privacy
 * setting hides their presence from the caller; `lastSeen` is null while
 * online or if never seen.
 */
export const PresenceViewSchema = Type.Object({
  userId: UserIdSchema,
  status: Type.Union([PresenceStatusSchema, Type.Literal('unknown')]),
  lastSeen: Type.Union([Instant, Type.Null()]),
});
export type PresenceView = Static<typeof PresenceViewSchema>;

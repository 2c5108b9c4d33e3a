import { type Static, Type } from '@sinclair/typebox';
import type { Branded } from './ids.js';
import { IdText } from './limits.js';

export type MediaId = Branded<string, 'MediaId'>;
export const MediaIdSchema = Type.Unsafe<MediaId>(Type.String());

export const MEDIA_KINDS = ['image', 'video', 'audio', 'file'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Where a media is in its processing (see MediaSchema.status). */
export const MEDIA_STATUSES = ['processing', 'ready', 'rejected'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

/** At most this many media in one message (Telegram's albums hold 10). */
export const MEDIA_PER_MESSAGE_MAX = 10;

/**
 * API.md `media`: one stored upload. `mime` is what its bytes are, never
 * what the client said; `url` and `thumbnailUrl` are paths on this server
 * that need the bearer token. `placeholder` is a tiny blurred WebP as a
 * data: URI, shown while the thumbnail loads.
 */
export const MediaSchema = Type.Object({
  id: MediaIdSchema,
  kind: Type.Union(MEDIA_KINDS.map((kind) => Type.Literal(kind))),
  mime: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  name: Type.String(),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  url: Type.String(),
  thumbnailUrl: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
  /**
   * `processing`: stored, but the worker has not made it ready yet — a photo is not served at all (its
   * EXIF/GPS is still in it) and a thumbnail or poster answers 202 with Retry-After; `rejected`: the worker
   * found it undecodable, its bytes are gone and reads answer 422 MEDIA_REJECTED. Absent: ready.
   */
  status: Type.Optional(Type.Union(MEDIA_STATUSES.map((status) => Type.Literal(status)))),
  /** Voice notes: loudness over time, 64 values from 0 to 31 (Telegram's 5-bit waveform). */
  waveform: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 31 }), { maxItems: 64 })),
});
export type MediaView = Readonly<Static<typeof MediaSchema>>;

/** Media a client attaches to a send: ids from POST /api/v1/media. */
export const MediaIdsInput = Type.Array(Type.Unsafe<MediaId>(IdText), { minItems: 1, maxItems: MEDIA_PER_MESSAGE_MAX, uniqueItems: true });

export const MediaParams = Type.Object({ id: IdText });

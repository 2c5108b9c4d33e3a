import { KaifError } from '../../platform/http/kaif-error.js';

/**
 * A position in one user's change feed. `pts`: the last feed row delivered
 * (direct chats, plus the user's own events in groups and channels).
 * `channels`: for each group or channel the user belongs to — the chats read
 * from their log — the seq up to which its events for every member were
 * delivered.
 */
export interface FeedCursor {
  readonly pts: number;
  readonly channels: Readonly<Record<string, number>>;
}

/**
 * What a cursor's text says. A `full` cursor names every channel. A
 * `relative` one names a stored base (the channel seqs at some moment, see
 * cursor-bases.ts) and only the channels that moved since: a live frame of a
 * user in 1,000 groups then carries tens of bytes of position, not 50 KB.
 */
export type CursorText =
  | { readonly kind: 'full'; readonly cursor: FeedCursor }
  | {
      readonly kind: 'relative';
      readonly baseId: number;
      readonly pts: number;
      /** Channels whose seq differs from the base's. */
      readonly changed: Readonly<Record<string, number>>;
      /** Channels of the base the user no longer follows. */
      readonly dropped: readonly string[];
    };

/**
 * Version 2: groups moved from the feed to their logs. A version 1 cursor
 * does not name its groups, so it cannot be resumed exactly: CURSOR_INVALID.
 */
interface FullV2 {
  readonly v: 2;
  readonly p: number;
  readonly c: Record<string, number>;
}

/** Version 3: relative to base `b`; `x` lists dropped channels. */
interface RelativeV3 {
  readonly v: 3;
  readonly b: number;
  readonly p: number;
  readonly c: Record<string, number>;
  readonly x: string[];
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

const toText = (body: FullV2 | RelativeV3) => Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');

/** Opaque to clients: base64url of a small versioned JSON document. */
export function encodeCursor(cursor: FeedCursor): string {
  return toText({ v: 2, p: cursor.pts, c: { ...cursor.channels } });
}

export function encodeRelativeCursor(baseId: number, pts: number, changed: Record<string, number>, dropped: string[]): string {
  return toText({ v: 3, b: baseId, p: pts, c: changed, x: dropped });
}

/** Throws CURSOR_INVALID for anything the encoders did not produce. */
export function parseCursor(text: string): CursorText {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new KaifError('CURSOR_INVALID');
  }
  if (typeof body !== 'object' || body === null) throw new KaifError('CURSOR_INVALID');
  const { v, p, c } = body as Partial<FullV2 | RelativeV3>;
  if ((v !== 2 && v !== 3) || !isCount(p)) throw new KaifError('CURSOR_INVALID');
  const channels = channelSeqs(c);
  if (v === 2) return { kind: 'full', cursor: { pts: p, channels } };
  const { b, x } = body as Partial<RelativeV3>;
  if (!isCount(b) || !Array.isArray(x) || !x.every((chatId) => typeof chatId === 'string')) throw new KaifError('CURSOR_INVALID');
  return { kind: 'relative', baseId: b, pts: p, changed: channels, dropped: x };
}

/** A full cursor's position; CURSOR_INVALID for a relative one (its base is in the database). */
export function decodeCursor(text: string): FeedCursor {
  const parsed = parseCursor(text);
  if (parsed.kind !== 'full') throw new KaifError('CURSOR_INVALID');
  return parsed.cursor;
}

/** The position a relative cursor names, given its base's channel seqs. */
export function applyToBase(cursor: Extract<CursorText, { kind: 'relative' }>, base: Readonly<Record<string, number>>): FeedCursor {
  const channels: Record<string, number> = { ...base, ...cursor.changed };
  for (const chatId of cursor.dropped) delete channels[chatId];
  return { pts: cursor.pts, channels };
}

/** How `channels` differs from `base`, as a relative cursor carries it. */
export function diffFromBase(
  channels: Readonly<Record<string, number>>,
  base: Readonly<Record<string, number>>,
): { readonly changed: Record<string, number>; readonly dropped: string[] } {
  const changed: Record<string, number> = {};
  for (const [chatId, seq] of Object.entries(channels)) if (base[chatId] !== seq) changed[chatId] = seq;
  const dropped = Object.keys(base).filter((chatId) => channels[chatId] === undefined);
  return { changed, dropped };
}

function channelSeqs(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KaifError('CURSOR_INVALID');
  const channels: Record<string, number> = {};
  for (const [chatId, seq] of Object.entries(value)) {
    if (!isCount(seq)) throw new KaifError('CURSOR_INVALID');
    channels[chatId] = seq;
  }
  return channels;
}

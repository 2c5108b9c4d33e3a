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
 * Version 2: groups moved from the feed to their logs. A version 1 cursor
 * does not name its groups, so it cannot be resumed exactly: CURSOR_INVALID.
 */
interface CursorV2 {
  readonly v: 2;
  readonly p: number;
  readonly c: Record<string, number>;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Opaque to clients: base64url of a small versioned JSON document. */
export function encodeCursor(cursor: FeedCursor): string {
  const body: CursorV2 = { v: 2, p: cursor.pts, c: { ...cursor.channels } };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Throws CURSOR_INVALID for anything encodeCursor did not produce. */
export function decodeCursor(text: string): FeedCursor {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new KaifError('CURSOR_INVALID');
  }
  if (typeof body !== 'object' || body === null) throw new KaifError('CURSOR_INVALID');
  const { v, p, c } = body as Partial<CursorV2>;
  if (v !== 2 || !isCount(p) || typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new KaifError('CURSOR_INVALID');
  }
  const channels: Record<string, number> = {};
  for (const [chatId, seq] of Object.entries(c)) {
    if (!isCount(seq)) throw new KaifError('CURSOR_INVALID');
    channels[chatId] = seq;
  }
  return { pts: p, channels };
}

import { KaifError } from '../../platform/http/kaif-error.js';

/**
 * A position in one user's change feed. `pts`: the last feed row delivered
 * (direct and group chats, plus the user's own events in channels).
 * `channels`: for each channel the user belongs to, the seq up to which its
 * subscriber-wide events were delivered.
 */
export interface FeedCursor {
  readonly pts: number;
  readonly channels: Readonly<Record<string, number>>;
}

interface CursorV1 {
  readonly v: 1;
  readonly p: number;
  readonly c: Record<string, number>;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Opaque to clients: base64url of a small versioned JSON document. */
export function encodeCursor(cursor: FeedCursor): string {
  const body: CursorV1 = { v: 1, p: cursor.pts, c: { ...cursor.channels } };
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
  const { v, p, c } = body as Partial<CursorV1>;
  if (v !== 1 || !isCount(p) || typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new KaifError('CURSOR_INVALID');
  }
  const channels: Record<string, number> = {};
  for (const [chatId, seq] of Object.entries(c)) {
    if (!isCount(seq)) throw new KaifError('CURSOR_INVALID');
    channels[chatId] = seq;
  }
  return { pts: p, channels };
}

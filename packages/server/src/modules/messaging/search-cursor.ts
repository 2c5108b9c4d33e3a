import { KaifError } from '../../platform/http/kaif-error.js';

/**
 * Where a page of search results ended, in their order (rank, newest, id,
 * all descending): the next page starts strictly after it, so results that
 * arrive meanwhile never shift or repeat a page the way an offset would.
 * `rank` is ts_rank's float4 as JavaScript prints it, which reads back as
 * the same float4; `createdAt` is PostgreSQL's own text of the timestamp
 * (microseconds, which a JavaScript Date would round away).
 */
export interface SearchCursor {
  readonly rank: number;
  readonly createdAt: string;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T][\d:.]+([+-]\d{2}(:\d{2})?|Z)$/;

/** Opaque to clients: base64url of a small versioned JSON document. */
export function encodeSearchCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, r: cursor.rank, t: cursor.createdAt, i: cursor.id }), 'utf8').toString('base64url');
}

/** Throws CURSOR_INVALID for anything encodeSearchCursor did not produce. */
export function decodeSearchCursor(text: string): SearchCursor {
  let body: { v?: unknown; r?: unknown; t?: unknown; i?: unknown };
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new KaifError('CURSOR_INVALID');
  }
  const { v, r, t, i } = body ?? {};
  if (v !== 1 || typeof r !== 'number' || !Number.isFinite(r) || typeof t !== 'string' || !TIMESTAMP.test(t) || typeof i !== 'string' || !UUID.test(i)) {
    throw new KaifError('CURSOR_INVALID');
  }
  return { rank: r, createdAt: t, id: i };
}

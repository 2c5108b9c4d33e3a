import { type Kysely, type Migration, sql } from 'kysely';
import { diffFromBase } from './feed-cursor.js';
import type { MessagingTables } from './messaging-tables.js';

/**
 * How long a base stays resolvable: as long as a signed-in device may stay
 * away (a refresh token's 30 days), so a phone back from a month offline
 * resumes its saved cursor exactly rather than starting over.
 */
export const BASE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Whatever their age, a user's newest bases up to this many are kept. */
export const BASES_KEPT_PER_USER = 64;
/** And never more than this many, whatever their age: a client reconnecting in a loop cannot grow the table without end. */
export const BASES_MAX_PER_USER = 1_024;
/** A chain of deltas is cut by a full snapshot after this many links, so a base resolves in a bounded read. */
export const CHAIN_MAX_DEPTH = 32;

/**
 * A stored snapshot of a user's channel seqs, which relative cursors are
 * written against. Stored as the difference from the base its follower had
 * before (`parent`), or in full at the start of a chain: a rebase of a user
 * in 1,000 groups writes the ~17 channels that moved (under a kilobyte), not
 * all 1,000 (some 45 KB).
 */
export interface CursorBase {
  readonly id: number;
  readonly channels: Readonly<Record<string, number>>;
  /** The full snapshot its chain starts from (itself when it is one), and its links from there. */
  readonly rootId: number;
  readonly depth: number;
}

/**
 * Stores the channel seqs as the user's newest base — a delta against
 * `parent` when there is one and its chain is short — and drops the bases
 * no cursor may still name (see prune); returns the new base.
 */
export async function storeCursorBase(
  db: Kysely<MessagingTables>,
  userId: string,
  channels: Readonly<Record<string, number>>,
  parent: CursorBase | null,
): Promise<CursorBase> {
  const row = baseRowOf(channels, parent);
  const { rows } = await sql<{ id: string | number }>`
    insert into messaging.feed_cursor_bases (user_id, channels, dropped, parent_id, root_id, depth)
    values (${userId}, ${JSON.stringify(row.channels)}::jsonb, ${JSON.stringify(row.dropped)}::jsonb, ${row.parentId}, ${row.rootId}, ${row.depth})
    returning id`.execute(db);
  const id = Number(rows[0]!.id);
  await prune(db, userId);
  return { id, channels, rootId: row.rootId ?? id, depth: row.depth };
}

/** What a base stores: a link against `parent` while its chain is short, else a full snapshot that starts a chain (rootId null: itself). */
export function baseRowOf(channels: Readonly<Record<string, number>>, parent: CursorBase | null) {
  if (parent === null || parent.depth >= CHAIN_MAX_DEPTH) return { channels, dropped: [] as string[], parentId: null, rootId: null, depth: 0 };
  const { changed, dropped } = diffFromBase(channels, parent.channels);
  return { channels: changed, dropped, parentId: parent.id, rootId: parent.rootId, depth: parent.depth + 1 };
}

/**
 * A base is kept while it is among the user's newest BASES_KEPT_PER_USER or
 * younger than the retention, and among the newest BASES_MAX_PER_USER; so
 * is every base a kept one is written against. A chain's links all have
 * larger ids than its root, so everything older than the oldest root any
 * kept base needs is needed by none.
 */
async function prune(db: Kysely<MessagingTables>, userId: string): Promise<void> {
  await sql`
    with ranked as (
      select id, coalesce(root_id, id) as root, created_at, row_number() over (order by id desc) as newness
      from messaging.feed_cursor_bases where user_id = ${userId}
    )
    delete from messaging.feed_cursor_bases
    where user_id = ${userId} and id < (
      select min(root) from ranked
      where newness <= ${BASES_MAX_PER_USER}
        and (newness <= ${BASES_KEPT_PER_USER} or created_at > now() - make_interval(secs => ${BASE_RETENTION_MS / 1000}))
    )`.execute(db);
}

/** The user's base with this id; undefined if it was never theirs, or it or a base of its chain has been dropped. */
export async function loadCursorBase(db: Kysely<MessagingTables>, userId: string, id: number): Promise<CursorBase | undefined> {
  const { rows } = await sql<{ id: string | number; channels: Record<string, number>; dropped: string[]; parent_id: string | number | null; depth: number }>`
    with recursive chain as (
      select id, channels, dropped, parent_id, depth from messaging.feed_cursor_bases where id = ${id} and user_id = ${userId}
      union all
      select b.id, b.channels, b.dropped, b.parent_id, b.depth
      from messaging.feed_cursor_bases b join chain c on b.id = c.parent_id
      where b.user_id = ${userId} and c.depth > 0
    )
    select * from chain order by depth`.execute(db);
  const root = rows[0];
  // Each link is one depth below the next; a missing link breaks the chain.
  if (!root || root.parent_id !== null || rows.some((row, index) => row.depth !== index) || Number(rows.at(-1)!.id) !== id) return undefined;
  const channels: Record<string, number> = {};
  for (const link of rows) {
    Object.assign(channels, link.channels);
    for (const chatId of link.dropped) delete channels[chatId];
  }
  return { id, channels, rootId: Number(root.id), depth: rows.length - 1 };
}

export interface FeedCursorBasesTable {
  id: number;
  user_id: string;
  channels: unknown;
  dropped: unknown;
  parent_id: number | null;
  root_id: number | null;
  depth: number;
  created_at: Date;
}

export const createFeedCursorBases: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table messaging.feed_cursor_bases (
        id bigint generated always as identity primary key,
        user_id text not null,
        channels jsonb not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index feed_cursor_bases_by_user on messaging.feed_cursor_bases (user_id, id)`.execute(db);
  },
};

/** Bases become chains of deltas (see CursorBase); a base of migration 0008 is a full snapshot, depth 0. */
export const chainFeedCursorBases: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table messaging.feed_cursor_bases
        add column dropped jsonb not null default '[]',
        add column parent_id bigint,
        add column root_id bigint,
        add column depth int not null default 0`.execute(db);
  },
};

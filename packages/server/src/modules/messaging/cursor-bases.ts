import { type Kysely, type Migration, sql } from 'kysely';
import type { MessagingTables } from './messaging-tables.js';

/**
 * How many bases each user keeps. A cursor names the base it was written
 * against; a device whose saved cursor names a base older than the newest
 * ones gets CURSOR_INVALID and syncs from now (API.md `sync`). Each base of
 * a user in 1,000 groups is some 45 KB; a live follower writes one when its
 * cursor has moved away from the last by REBASE_AFTER channels (see
 * feed-position.ts), so the bound is what keeps a busy account's rows small.
 */
export const BASES_KEPT_PER_USER = 64;

/** A stored snapshot of a user's channel seqs, which relative cursors are written against. */
export interface CursorBase {
  readonly id: number;
  readonly channels: Readonly<Record<string, number>>;
}

/** Stores the channel seqs as the user's newest base, dropping the oldest beyond BASES_KEPT_PER_USER; returns its id. */
export async function storeCursorBase(db: Kysely<MessagingTables>, userId: string, channels: Readonly<Record<string, number>>): Promise<CursorBase> {
  // The statement's snapshot does not see the row it inserts: keeping the
  // newest KEPT - 1 older rows leaves KEPT with the new one.
  const { rows } = await sql<{ id: string | number }>`
    with inserted as (
      insert into messaging.feed_cursor_bases (user_id, channels) values (${userId}, ${JSON.stringify(channels)}::jsonb) returning id
    ), pruned as (
      delete from messaging.feed_cursor_bases
      where user_id = ${userId} and id <= (
        select id from messaging.feed_cursor_bases where user_id = ${userId} order by id desc offset ${BASES_KEPT_PER_USER - 1} limit 1
      )
    )
    select id from inserted`.execute(db);
  return { id: Number(rows[0]!.id), channels };
}

/** The user's base with this id; undefined if it was never theirs or has been dropped. */
export async function loadCursorBase(db: Kysely<MessagingTables>, userId: string, id: number): Promise<CursorBase | undefined> {
  const row = await db.selectFrom('messaging.feed_cursor_bases').select('channels').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return row && { id, channels: row.channels as Record<string, number> };
}

export interface FeedCursorBasesTable {
  id: number;
  user_id: string;
  channels: unknown;
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

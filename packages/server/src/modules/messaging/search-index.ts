import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The text search index of messages: a stored generated column, so the
 * database keeps it in the very statement that writes the text — the
 * batch's insert, an edit's update, a delete's update that sets the text to
 * null (leaving a null vector: nothing of a deleted text stays searchable).
 * No code on the write path knows about it.
 *
 * Two configurations, concatenated:
 * - `russian` stems Cyrillic words with the Russian Snowball stemmer and
 *   Latin words with the English one (PostgreSQL's `russian` configuration
 *   maps `asciiword` to `english_stem`): "сообщения" and "сообщение" share
 *   the lexeme `сообщен`, "running" and "runs" share `run`;
 * - `simple` keeps every word as written (lowercased), so the word being
 *   typed matches as a prefix of the word itself ("runn" → "running"),
 *   which its stem would not.
 * Only functions PostgreSQL 15 has (the server here) and PGlite (17) shares.
 *
 * GIN adds new entries to a pending list that every search scans in full
 * until VACUUM or an insert that overfills it merges the list into the
 * index. At the default limit (4 MB, some 25,000 messages) that scan cost
 * ~10 ms a search (13 ms before a VACUUM, 3 ms after, for a rare word in
 * 300,000 messages), and PGlite runs no autovacuum at all. 128 kB keeps
 * the list to a few hundred messages: a batch merges it now and then.
 */
export const createMessageSearchIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table messaging.messages add column search tsvector
        generated always as (to_tsvector('russian', text) || to_tsvector('simple', text)) stored`.execute(db);
    await sql`create index messages_search on messaging.messages using gin (search) with (gin_pending_list_limit = 128)`.execute(db);
  },
};

import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Trigram indexes for people search (user-directory.ts): usernames and
 * display names found despite a typo or another case. pg_trgm goes into
 * this module's own schema, which the server creates and owns, so no
 * privilege on `public` is needed (PostgreSQL 15 no longer grants CREATE
 * there); its functions and operators are therefore named with `identity.`.
 * pg_trgm is a trusted extension: a database owner may create it.
 */
export const createPeopleSearchIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create extension if not exists pg_trgm with schema identity`.execute(db);
    await sql`create index users_username_trigrams on identity.users using gin (username_key identity.gin_trgm_ops)`.execute(db);
    await sql`create index users_display_name_trigrams on identity.users using gin (lower(display_name) identity.gin_trgm_ops)`.execute(db);
  },
};

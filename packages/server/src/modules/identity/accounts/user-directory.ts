import type { AdminUser, Me, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import type { PublicUser } from '../api.js';
import type { IdentityDb, UsersTable } from '../identity-tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type UserRow = Pick<UsersTable, 'id' | 'username' | 'display_name'> & { readonly created_at: Date };

export function toPublicUser(row: UserRow): PublicUser {
  return { id: row.id as UserId, username: row.username, displayName: row.display_name, createdAt: row.created_at.toISOString() };
}

/**
 * How much of the search text's trigrams a run of the name must share
 * (pg_trgm's default, 0.6, misses one transposed letter in a five-letter
 * word: "smiht" shares half of its trigrams with "smith").
 */
const WORD_SIMILARITY_THRESHOLD = 0.5;

/** `_` is a LIKE wildcard and a legal username character: match it literally. */
function prefixPattern(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Read access to accounts: public profiles, search, the caller's own and the admin view. */
export class UserDirectory {
  constructor(private readonly db: IdentityDb) {}

  async getUser(id: string): Promise<PublicUser | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.db
      .selectFrom('identity.users')
      .select(['id', 'username', 'display_name', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toPublicUser(row);
  }

  async getUsers(ids: readonly string[]): Promise<PublicUser[]> {
    const valid = [...new Set(ids)].filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    const rows = await this.db
      .selectFrom('identity.users')
      .select(['id', 'username', 'display_name', 'created_at'])
      .where('id', 'in', valid)
      .execute();
    return rows.map(toPublicUser);
  }

  /**
   * Enabled accounts matching `text` in their username or display name,
   * ignoring case and tolerating a typo: a username that starts with it
   * first, then by trigram word similarity (pg_trgm, the best-matching run
   * of the name: "alce" finds "alice", "smiht" "Alice Smith"), ties in
   * username order. One short read-only transaction, for the threshold.
   */
  async search(text: string, limit: number, offset = 0): Promise<PublicUser[]> {
    const wanted = text.toLowerCase();
    return this.db.transaction().execute(async (trx) => {
      await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY_THRESHOLD)}, true)`.execute(trx);
      const { rows } = await sql<UserRow>`
        select id, username, display_name, created_at
        from identity.users
        where disabled_at is null
          and (username_key like ${prefixPattern(wanted)}
               or ${wanted} operator(identity.<%) username_key
               or ${wanted} operator(identity.<%) lower(display_name))
        order by username_key like ${prefixPattern(wanted)} desc,
                 greatest(identity.word_similarity(${wanted}, username_key),
                          identity.word_similarity(${wanted}, lower(display_name))) desc,
                 username_key
        limit ${limit} offset ${offset}`.execute(trx);
      return rows.map(toPublicUser);
    });
  }

  async me(id: string): Promise<Me | undefined> {
    const [user] = await this.adminView({ id }, 1, 0);
    if (!user) return undefined;
    const { disabled: _disabled, ...me } = user;
    return me;
  }

  async adminList(prefix: string | undefined, limit: number, offset: number): Promise<AdminUser[]> {
    return this.adminView({ prefix }, limit, offset);
  }

  private async adminView(filter: { readonly id?: string; readonly prefix?: string | undefined }, limit: number, offset: number): Promise<AdminUser[]> {
    const rows = await this.db
      .selectFrom('identity.users as u')
      .leftJoin('identity.two_factor as t', 't.user_id', 'u.id')
      .select(['u.id', 'u.username', 'u.display_name', 'u.created_at', 'u.email', 'u.role', 'u.disabled_at', 't.enabled_at'])
      .$if(filter.id !== undefined, (query) => query.where('u.id', '=', filter.id!))
      .$if(Boolean(filter.prefix), (query) => query.where(sql<boolean>`u.username_key like ${prefixPattern(filter.prefix!)}`))
      .orderBy('u.created_at')
      .orderBy('u.id')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((row) => ({
      ...toPublicUser(row),
      email: row.email,
      role: row.role,
      twoFactorEnabled: Boolean(row.enabled_at),
      disabled: row.disabled_at !== null,
    }));
  }
}

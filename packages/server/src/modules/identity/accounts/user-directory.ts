import type { AdminUser, Me, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import type { PublicUser } from '../api.js';
import type { IdentityDb, UsersTable } from '../identity-tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type UserRow = Pick<UsersTable, 'id' | 'username' | 'display_name'> & { readonly created_at: Date };

export function toPublicUser(row: UserRow): PublicUser {
  return { id: row.id as UserId, username: row.username, displayName: row.display_name, createdAt: row.created_at.toISOString() };
}

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

  /** Enabled accounts whose username starts with `prefix`, ignoring case, in username order. */
  async search(prefix: string, limit: number): Promise<PublicUser[]> {
    const rows = await this.db
      .selectFrom('identity.users')
      .select(['id', 'username', 'display_name', 'created_at'])
      .where(sql<boolean>`username_key like ${prefixPattern(prefix)}`)
      .where('disabled_at', 'is', null)
      .orderBy('username_key')
      .limit(limit)
      .execute();
    return rows.map(toPublicUser);
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

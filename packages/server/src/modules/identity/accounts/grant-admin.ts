import type { IdentityDb } from '../identity-tables.js';

/**
 * Makes an account a global admin (`kaif admin grant <username>`); false when
 * there is no such username. The new role reaches the user's access tokens
 * at their next refresh.
 */
export async function grantAdmin(db: IdentityDb, username: string): Promise<boolean> {
  const user = await db
    .updateTable('identity.users')
    .set({ role: 'admin' })
    .where('username_key', '=', username.toLowerCase())
    .returning('id')
    .executeTakeFirst();
  return user !== undefined;
}

import type { UserId } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { Principal } from '../../../platform/http/principal.js';
import type { FloodControl } from '../credentials/flood-control.js';
import type { PasswordHasher } from '../credentials/password-hasher.js';
import { assertAcceptablePassword } from '../credentials/password-policy.js';
import type { IdentityDb } from '../identity-tables.js';
import type { SessionStore } from '../sessions/session-store.js';

/** What a signed-in user or an admin changes about an account. */
export class AccountSettings {
  constructor(
    private readonly db: IdentityDb,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionStore,
    private readonly flood: FloodControl,
  ) {}

  /** Needs the current password (wrong ones are limited per account like 2FA codes); ends every other session. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.db
      .selectFrom('identity.users')
      .select(['id', 'username', 'email', 'password_hash'])
      .where('id', '=', principal.userId)
      .executeTakeFirst();
    if (!user) throw new KaifError('UNAUTHORIZED');
    await this.flood.attempt('password-account', user.id);
    if (!user.password_hash || !(await this.hasher.verify(user.password_hash, currentPassword))) throw new KaifError('INVALID_CREDENTIALS');
    await this.flood.refund('password-account', user.id);
    assertAcceptablePassword(newPassword, user, 'newPassword');
    const passwordHash = await this.hasher.hash(newPassword);
    await this.sessions.transact(async (trx, revoke) => {
      await trx.updateTable('identity.users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
      await revoke(user.id, { kind: 'all-but', sessionId: principal.sessionId }, 'password_changed');
    });
  }

  /** Signs the account out everywhere and refuses new sign-ins until enabled. */
  async disable(admin: Principal, userId: UserId): Promise<void> {
    if (userId === admin.userId) throw new KaifError('FORBIDDEN', 'You cannot disable your own account');
    await this.sessions.transact(async (trx, revoke) => {
      const user = await trx
        .updateTable('identity.users')
        .set({ disabled_at: new Date() })
        .where('id', '=', userId)
        .returning('id')
        .executeTakeFirst();
      if (!user) throw new KaifError('USER_NOT_FOUND');
      await revoke(userId, { kind: 'all' }, 'account_disabled');
    });
  }

  async enable(userId: UserId): Promise<void> {
    const user = await this.db
      .updateTable('identity.users')
      .set({ disabled_at: null })
      .where('id', '=', userId)
      .returning('id')
      .executeTakeFirst();
    if (!user) throw new KaifError('USER_NOT_FOUND');
  }
}

import type { PresenceVisibility, PrivacySettings as Settings, UserId } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { IdentityDb } from '../identity-tables.js';

/** Who may see what of a user; today, their presence. */
export class PrivacySettings {
  constructor(private readonly db: IdentityDb) {}

  async of(userId: UserId): Promise<Settings> {
    return { presence: await this.presenceVisibilityOf(userId) };
  }

  async change(userId: UserId, settings: Settings): Promise<Settings> {
    const row = await this.db
      .updateTable('identity.users')
      .set({ presence_visibility: settings.presence })
      .where('id', '=', userId)
      .returning('presence_visibility')
      .executeTakeFirst();
    if (!row) throw new KaifError('UNAUTHORIZED');
    return { presence: row.presence_visibility };
  }

  /** An unknown user shows nothing to anyone. Callers pass ids of known users (a well-formed uuid). */
  async presenceVisibilityOf(userId: UserId): Promise<PresenceVisibility> {
    const row = await this.db
      .selectFrom('identity.users')
      .select('presence_visibility')
      .where('id', '=', userId)
      .executeTakeFirst();
    return row?.presence_visibility ?? 'nobody';
  }
}

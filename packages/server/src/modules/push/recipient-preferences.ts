import type { ChatId, UserId } from '@kaif/protocol';
import type { PushDb } from './push-tables.js';

/** What each recipient chose: chats muted until a time, and whether notifications show the text. */
export class RecipientPreferences {
  constructor(
    private readonly db: PushDb,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `until` null (or past) unmutes. Returns the mute in force afterwards. */
  async mute(userId: UserId, chatId: ChatId, until: Date | null): Promise<Date | null> {
    if (until === null || until <= this.now()) {
      await this.db.deleteFrom('push.mutes').where('user_id', '=', userId).where('chat_id', '=', chatId).execute();
      return null;
    }
    await this.db
      .insertInto('push.mutes')
      .values({ user_id: userId, chat_id: chatId, until })
      .onConflict((conflict) => conflict.columns(['user_id', 'chat_id']).doUpdateSet({ until }))
      .execute();
    return until;
  }

  async mutedUntil(userId: UserId, chatId: ChatId): Promise<Date | null> {
    const row = await this.db
      .selectFrom('push.mutes')
      .select('until')
      .where('user_id', '=', userId)
      .where('chat_id', '=', chatId)
      .where('until', '>', this.now())
      .executeTakeFirst();
    return row ? new Date(row.until) : null;
  }

  /** Of these users, those who have the chat muted now. */
  async mutedAmong(chatId: ChatId, userIds: readonly UserId[]): Promise<Set<UserId>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('push.mutes')
      .select('user_id')
      .where('chat_id', '=', chatId)
      .where('user_id', 'in', userIds)
      .where('until', '>', this.now())
      .execute();
    return new Set(rows.map((row) => row.user_id as UserId));
  }

  async previews(userId: UserId): Promise<boolean> {
    const row = await this.db.selectFrom('push.settings').select('previews').where('user_id', '=', userId).executeTakeFirst();
    return row?.previews ?? false;
  }

  /** Of these users, those who allowed message text in their notifications. */
  async previewersAmong(userIds: readonly UserId[]): Promise<Set<UserId>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.db.selectFrom('push.settings').select('user_id').where('user_id', 'in', userIds).where('previews', '=', true).execute();
    return new Set(rows.map((row) => row.user_id as UserId));
  }

  async setPreviews(userId: UserId, previews: boolean): Promise<void> {
    await this.db
      .insertInto('push.settings')
      .values({ user_id: userId, previews })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ previews }))
      .execute();
  }
}

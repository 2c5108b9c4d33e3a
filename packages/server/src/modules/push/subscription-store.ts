import { randomUUID } from 'node:crypto';
import type { PushSubscriptionInput, SessionId, UserId } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { PushDb } from './push-tables.js';
import type { PushTarget } from './push-transport.js';

export interface StoredSubscription extends PushTarget {
  readonly id: string;
  readonly userId: UserId;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Push subscriptions, each bound to the device session that made it: it
 * goes when that session is revoked or signed out, or when the push service
 * says it is gone (404/410). An endpoint is one browser profile's, so
 * subscribing it again (after a new sign-in) moves it to the new session.
 */
export class SubscriptionStore {
  constructor(private readonly db: PushDb) {}

  async subscribe(userId: UserId, sessionId: SessionId, input: PushSubscriptionInput): Promise<string> {
    const row = await this.db
      .insertInto('push.subscriptions')
      .values({ id: randomUUID(), user_id: userId, session_id: sessionId, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth })
      .onConflict((conflict) =>
        conflict.column('endpoint').doUpdateSet((eb) => ({
          user_id: eb.ref('excluded.user_id'),
          session_id: eb.ref('excluded.session_id'),
          p256dh: eb.ref('excluded.p256dh'),
          auth: eb.ref('excluded.auth'),
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Only the owner's; anyone else's id is PUSH_SUBSCRIPTION_NOT_FOUND, as is an unknown one. */
  async unsubscribe(userId: UserId, id: string): Promise<void> {
    if (!UUID.test(id)) throw new KaifError('PUSH_SUBSCRIPTION_NOT_FOUND');
    const result = await this.db.deleteFrom('push.subscriptions').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new KaifError('PUSH_SUBSCRIPTION_NOT_FOUND');
  }

  async list(userId: UserId) {
    return this.db
      .selectFrom('push.subscriptions')
      .select(['id', 'session_id', 'endpoint', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  /** Every subscription of these users, for one delivery page. */
  async ofUsers(userIds: readonly UserId[]): Promise<StoredSubscription[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('push.subscriptions')
      .select(['id', 'user_id', 'endpoint', 'p256dh', 'auth'])
      .where('user_id', 'in', userIds)
      .execute();
    return rows.map((row) => ({ id: row.id, userId: row.user_id as UserId, endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } }));
  }

  /** Whether anyone has subscribed at all (whether a worker should get its sender ready). */
  async any(): Promise<boolean> {
    return (await this.db.selectFrom('push.subscriptions').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  /** The push service said the subscription is gone for good. */
  async forget(id: string): Promise<void> {
    await this.db.deleteFrom('push.subscriptions').where('id', '=', id).execute();
  }

  /** Sessions ended early (identity's SessionsRevokedEvent): null = every session of the user. */
  async forgetSessions(userId: UserId, sessionIds: readonly SessionId[] | null): Promise<number> {
    let query = this.db.deleteFrom('push.subscriptions').where('user_id', '=', userId);
    if (sessionIds !== null) {
      if (sessionIds.length === 0) return 0;
      query = query.where('session_id', 'in', sessionIds);
    }
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

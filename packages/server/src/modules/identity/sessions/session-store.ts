import { randomUUID } from 'node:crypto';
import type { SessionId, UserId } from '@kaif/protocol';
import type { Transaction } from 'kysely';
import type { KeyValueStore } from '../../../platform/kv/key-value-store.js';
import type { Logger } from '../../../platform/logging/logger.js';
import { enqueueEvents } from '../../../platform/outbox/outbox.js';
import { type SessionsRevokedEvent, sessionsRevokedSubject } from '../api.js';
import type { IdentityDb, IdentityTables } from '../identity-tables.js';
import type { IdentityTimings } from '../identity-timings.js';

export type IdentityTransaction = Transaction<IdentityTables>;
export type RevocationReason = SessionsRevokedEvent['reason'];

/** Which of a user's live sessions to end. */
export type SessionSelection =
  | { readonly kind: 'all' }
  | { readonly kind: 'only'; readonly sessionIds: readonly string[] }
  | { readonly kind: 'all-but'; readonly sessionId: string };

export type Revoke = (userId: string, selection: SessionSelection, reason: RevocationReason) => Promise<readonly string[]>;

export interface SessionRow {
  readonly id: string;
  readonly clientName: string;
  readonly ip: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
}

/**
 * Sessions (one per sign-in) and their revocation. Every revocation enqueues
 * a SessionsRevokedEvent in the same transaction and, after commit, drops the
 * liveness cache so access tokens of those sessions fail on the next request
 * on any node sharing the store.
 */
export class SessionStore {
  constructor(
    private readonly db: IdentityDb,
    private readonly kv: KeyValueStore,
    private readonly logger: Logger,
    private readonly outboxCommitted: () => void,
    private readonly timings: Pick<IdentityTimings, 'sessionLivenessCacheMs' | 'lastSeenWriteMs'>,
  ) {}

  async create(trx: IdentityTransaction, userId: string, client: { readonly name: string; readonly ip: string }): Promise<SessionId> {
    const id = randomUUID();
    await trx
      .insertInto('identity.sessions')
      .values({ id, user_id: userId, client_name: client.name, ip: client.ip, revoked_at: null, revoked_reason: null })
      .execute();
    return id as SessionId;
  }

  /**
   * Runs `work` in a transaction with a `revoke` that ends sessions and
   * enqueues their event in that same transaction; caches are dropped and
   * the relay woken only once it has committed.
   */
  async transact<T>(work: (trx: IdentityTransaction, revoke: Revoke) => Promise<T>): Promise<T> {
    const revoked: string[] = [];
    const result = await this.db.transaction().execute((trx) =>
      work(trx, async (userId, selection, reason) => {
        const ids = await this.revokeIn(trx, userId, selection, reason);
        revoked.push(...ids);
        return ids;
      }),
    );
    if (revoked.length > 0) {
      this.outboxCommitted();
      await Promise.all(revoked.map((id) => this.cacheDelete(liveKey(id))));
    }
    return result;
  }

  async list(userId: string): Promise<readonly SessionRow[]> {
    const rows = await this.db
      .selectFrom('identity.sessions')
      .select(['id', 'client_name', 'ip', 'created_at', 'last_seen_at'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('last_seen_at', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      clientName: row.client_name,
      ip: row.ip,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
    }));
  }

  /** Whether the session exists, belongs to the user, is not revoked and the account is enabled. */
  async isLive(userId: UserId, sessionId: SessionId): Promise<boolean> {
    const cached = await this.cacheGet(liveKey(sessionId));
    if (cached !== null) return cached === userId;
    const row = await this.db
      .selectFrom('identity.sessions as s')
      .innerJoin('identity.users as u', 'u.id', 's.user_id')
      .select(['s.user_id'])
      .where('s.id', '=', sessionId)
      .where('s.revoked_at', 'is', null)
      .where('u.disabled_at', 'is', null)
      .executeTakeFirst();
    await this.cacheSet(liveKey(sessionId), row?.user_id ?? '-', this.timings.sessionLivenessCacheMs);
    return row?.user_id === userId;
  }

  /** Records activity, at most once per lastSeenWriteMs per session. */
  async touch(sessionId: SessionId): Promise<void> {
    const first = await this.kv.setIfAbsent(`identity:seen:${sessionId}`, '1', this.timings.lastSeenWriteMs).catch(() => false);
    if (!first) return;
    await this.db.updateTable('identity.sessions').set({ last_seen_at: new Date() }).where('id', '=', sessionId).execute();
  }

  private async revokeIn(
    trx: IdentityTransaction,
    userId: string,
    selection: SessionSelection,
    reason: RevocationReason,
  ): Promise<readonly string[]> {
    if (selection.kind === 'only' && selection.sessionIds.length === 0) return [];
    let query = trx
      .updateTable('identity.sessions')
      .set({ revoked_at: new Date(), revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (selection.kind === 'only') query = query.where('id', 'in', selection.sessionIds);
    if (selection.kind === 'all-but') query = query.where('id', '<>', selection.sessionId);
    const ids = (await query.returning('id').execute()).map((row) => row.id);
    if (ids.length === 0) return ids;
    const event: SessionsRevokedEvent = {
      type: 'sessions.revoked',
      userId: userId as UserId,
      sessionIds: selection.kind === 'all' ? null : (ids as SessionId[]),
      reason,
    };
    await enqueueEvents(trx as unknown as Transaction<unknown>, [{ subject: sessionsRevokedSubject(userId as UserId), payload: { ...event } }]);
    return ids;
  }

  // The cache only speeds things up: when the store is away, ask the database.
  private async cacheGet(key: string): Promise<string | null> {
    return this.kv.get(key).catch(() => null);
  }

  private async cacheSet(key: string, value: string, ttlMs: number): Promise<void> {
    await this.kv.set(key, value, ttlMs).catch(() => undefined);
  }

  private async cacheDelete(key: string): Promise<void> {
    await this.kv.delete(key).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'could not drop a session from the liveness cache; it expires within seconds');
    });
  }
}

const liveKey = (sessionId: string) => `identity:live:${sessionId}`;

import type { ChatId, PushDeliveryState, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryRef } from './delivery-receipts.js';
import type { PushDb } from './push-tables.js';

export interface NewDelivery {
  readonly subscriptionId: string;
  readonly userId: UserId;
  readonly state: Extract<PushDeliveryState, 'queued' | 'live' | 'muted'>;
}

/**
 * Where each message stands for each recipient device — queued, delivered
 * live, muted, coalesced, pushed, accepted by the push service, opened,
 * gone, failed — as prom-client counters (`kaif_push_deliveries_total` by
 * state, `kaif_push_lag_seconds` from the message to the push service's
 * acceptance) and as rows an admin can read for one message, kept for
 * `ttlMs` and then purged: what no other anchor shows.
 */
export class DeliveryLedger {
  private readonly deliveries: Counter<'state'>;
  private readonly lag: Histogram;
  private readonly staleMessages: Counter;

  constructor(
    private readonly db: PushDb,
    registry: Registry,
    private readonly ttlMs: number,
  ) {
    this.deliveries = new Counter({
      name: 'kaif_push_deliveries_total',
      help: 'Push deliveries per recipient device by the state they reached',
      labelNames: ['state'],
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'kaif_push_lag_seconds',
      help: 'From a message being stored to the push service accepting its notification',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    });
    this.staleMessages = new Counter({
      name: 'kaif_push_stale_messages_total',
      help: 'New messages not pushed because the worker reached them after maxEventAgeMs',
      registers: [registry],
    });
  }

  /**
   * Records the recipient devices of a message; returns those that were new,
   * so a redelivered event pushes to nobody twice (the primary key is the
   * message and the device).
   */
  async record(chatId: ChatId, seq: number, devices: readonly NewDelivery[]): Promise<Set<string>> {
    if (devices.length === 0) return new Set();
    const rows = await this.db
      .insertInto('push.ledger')
      .values(devices.map((device) => ({ chat_id: chatId, seq, subscription_id: device.subscriptionId, user_id: device.userId, state: device.state, detail: null })))
      .onConflict((conflict) => conflict.columns(['chat_id', 'seq', 'subscription_id']).doNothing())
      .returning(['subscription_id', 'state'])
      .execute();
    for (const row of rows) this.deliveries.inc({ state: row.state });
    return new Set(rows.map((row) => row.subscription_id));
  }

  async mark(ref: DeliveryRef, state: PushDeliveryState, detail: string | null = null): Promise<void> {
    this.deliveries.inc({ state });
    await this.db
      .updateTable('push.ledger')
      .set({ state, detail, updated_at: new Date() })
      .where('chat_id', '=', ref.chatId)
      .where('seq', '=', ref.seq)
      .where('subscription_id', '=', ref.subscriptionId)
      .execute();
  }

  /** A message folded into a later notification of its chat: counted, not recorded per device. */
  folded(): void {
    this.deliveries.inc({ state: 'coalesced' });
  }

  /** A message the worker reached too late to be worth a notification. */
  stale(): void {
    this.staleMessages.inc();
  }

  accepted(sentAt: string): void {
    this.lag.observe(Math.max(0, (Date.now() - Date.parse(sentAt)) / 1000));
  }

  async forMessage(chatId: ChatId, seq: number) {
    const rows = await this.db
      .selectFrom('push.ledger')
      .select(['subscription_id', 'user_id', 'state', 'detail', 'updated_at'])
      .where('chat_id', '=', chatId)
      .where('seq', '=', seq)
      .where('created_at', '>', new Date(Date.now() - this.ttlMs))
      .orderBy('user_id')
      .orderBy('subscription_id')
      .execute();
    return rows.map((row) => ({
      subscriptionId: row.subscription_id,
      userId: row.user_id as UserId,
      state: row.state,
      detail: row.detail,
      updatedAt: new Date(row.updated_at).toISOString(),
    }));
  }

  /** Drops rows past the ledger's lifetime; run by the worker role. */
  async purge(): Promise<number> {
    const result = await this.db
      .deleteFrom('push.ledger')
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${this.ttlMs / 1000})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

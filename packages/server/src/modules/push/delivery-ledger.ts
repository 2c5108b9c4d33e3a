import type { ChatId, PushDeliveryState, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../platform/logging/logger.js';
import type { DeliveryRef } from './delivery-receipts.js';
import type { PushDb } from './push-tables.js';

export interface NewDelivery {
  readonly subscriptionId: string;
  readonly userId: UserId;
  readonly state: Extract<PushDeliveryState, 'pushed' | 'live' | 'muted'>;
}

/** What the push service made of a delivery. */
export type Outcome = Extract<PushDeliveryState, 'accepted' | 'gone' | 'failed' | 'limited'>;

/** Outcomes are written together: one statement per this many, or per this long. */
const FLUSH_SIZE = 500;
const FLUSH_MS = 50;

interface PendingOutcome {
  readonly ref: DeliveryRef;
  readonly state: Outcome;
  readonly detail: string | null;
  readonly at: Date;
}

/**
 * Where each message stands for each recipient device — pushed, delivered
 * live, muted, accepted by the push service, opened, gone, failed; folded
 * messages are counted as coalesced — as prom-client counters
 * (`kaif_push_deliveries_total` by state, `kaif_push_lag_seconds` from the
 * message to the push service's acceptance) and as rows an admin can read
 * for one message, kept for `ttlMs` and then purged: what no other anchor
 * shows.
 *
 * A fan-out writes its devices in one statement per page; the push
 * service's answers are buffered and written in one statement per 500 or
 * per 50 ms, each with the time it came, so a fan-out to 1,000 devices
 * costs the database a handful of statements, not two per device.
 */
export class DeliveryLedger {
  private readonly deliveries: Counter<'state'>;
  private readonly lag: Histogram;
  private readonly staleMessages: Counter;
  private pending = new Map<string, PendingOutcome>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PushDb,
    registry: Registry,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.deliveries = new Counter({
      name: 'kaif_push_deliveries_total',
      help: 'Push deliveries per recipient device by the state they reached (coalesced: messages folded into a later notification)',
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

  /** The push service's answer, written with the next flush. */
  outcome(ref: DeliveryRef, state: Outcome, detail: string | null = null): void {
    this.deliveries.inc({ state });
    this.pending.set(`${ref.chatId}.${ref.seq}.${ref.subscriptionId}`, { ref, state, detail, at: new Date() });
    if (this.pending.size >= FLUSH_SIZE) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** The service worker reported the notification opened: written at once. */
  async opened(ref: DeliveryRef): Promise<void> {
    this.deliveries.inc({ state: 'opened' });
    await this.db
      .updateTable('push.ledger')
      .set({ state: 'opened', updated_at: new Date() })
      .where('chat_id', '=', ref.chatId)
      .where('seq', '=', ref.seq)
      .where('subscription_id', '=', ref.subscriptionId)
      .execute();
  }

  /** Writes every buffered outcome; resolves once they are stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      sql`
        update push.ledger l set state = o.state, detail = o.detail, updated_at = o.at
        from unnest(
          ${batch.map((entry) => entry.ref.chatId)}::uuid[], ${batch.map((entry) => entry.ref.seq)}::bigint[],
          ${batch.map((entry) => entry.ref.subscriptionId)}::uuid[], ${batch.map((entry) => entry.state)}::text[],
          ${batch.map((entry) => entry.detail)}::text[], ${batch.map((entry) => entry.at.toISOString())}::timestamptz[]
        ) as o(chat_id, seq, subscription_id, state, detail, at)
        where l.chat_id = o.chat_id and l.seq = o.seq and l.subscription_id = o.subscription_id and l.state <> 'opened'`
        .execute(this.db)
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn({ err: (error as Error).message, outcomes: batch.length }, 'could not record push outcomes'),
        ),
    );
    return this.flushing;
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

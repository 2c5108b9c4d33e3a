import { type Kysely, sql } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, DurableEvent } from '../bus/bus.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { PlatformTables } from './outbox-tables.js';
import { sharedBehindMs } from './relay-state.js';

/** Same lock on every node: one relay publishes at a time, in outbox order. */
const RELAY_LOCK_ID = 7_311_246;
/** How soon a relay that did not get the lock looks again while the holder reports a backlog. */
const FOLLOW_MS = 100;
const LAG_METRIC = 'kaif_outbox_lag_seconds';
const PASSES_METRIC = 'kaif_outbox_relay_passes_total';
const PUBLISHED_METRIC = 'kaif_outbox_published_total';

export interface OutboxRelayOptions {
  readonly batchSize?: number;
  /** Fallback poll when no notification arrives. */
  readonly pollMs?: number;
  /** Backoff after the bus refused an event. */
  readonly retryMs?: number;
  /** Test seam: runs after publishing a batch, before deleting it. */
  readonly afterPublish?: () => Promise<void>;
}

/**
 * Moves committed outbox rows to the bus, oldest first, a batch at a time:
 * the whole batch in flight on the bus at once, then one delete for what the
 * bus acknowledged. At least once: a crash between publishing and deleting
 * republishes the batch, and a failed publish leaves it and what follows it
 * for the next pass; the bus deduplicates the repeats by event id within its
 * window, and live consumers drop any that get through (the gateway by feed
 * position, the wire module by event id).
 *
 * Woken once per commit: this process's commits call `nudge`, other nodes'
 * commits arrive as a notification, and nudges during a pass coalesce into
 * one more pass.
 *
 * A singleton per cluster at any instant: each batch runs under a
 * transaction-scoped advisory lock, so relays on several worker nodes take
 * turns instead of reordering events. The holder shares how far it trails
 * (`platform.outbox_relay_state`), and a relay that did not get the lock
 * reports that: every node's send admission follows the one backlog.
 */
export class OutboxRelay {
  private readonly db: Kysely<PlatformTables>;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private readonly passes: Counter;
  private readonly published: Counter;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private stopListening: (() => Promise<void>) | undefined;
  /** When (performance.now()) the oldest event still waiting for the bus was committed, as the last pass saw it; undefined once caught up. */
  private behindSince: number | undefined;
  /** From a pass the bus refused until a pass leaves nothing behind: the backlog is an outage's, drained while sends go on. */
  private recovering = false;

  constructor(
    private readonly database: Database,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly registry: Registry,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.db = database.kysely<PlatformTables>();
    // One send batch's events (KAIF_SEND_BATCH_MAX's default) per pass: a
    // full pass is followed at once by the next, so the relay keeps up at
    // 10,000 events/s all the same (bench/outbox/relay-lag.ts: p99 11 ms),
    // while the burst a pass puts on the event loop (the rows parsed,
    // every event published, then delivered to this node's sockets) stays
    // bounded. With 2,000 per pass, ten times the sustainable send rate left
    // 34-38 % of refusals waiting past 100 ms behind those bursts; with 512,
    // 9 % (README "Overload").
    this.batchSize = options.batchSize ?? 512;
    this.pollMs = options.pollMs ?? 1000;
    this.retryMs = options.retryMs ?? 1000;
    const db = this.db;
    new Gauge({
      name: LAG_METRIC,
      help: 'Age of the oldest event not yet published to the bus',
      registers: [registry],
      async collect() {
        const row = await db
          .selectFrom('platform.outbox')
          .select(sql<number>`coalesce(extract(epoch from now() - min(created_at)), 0)`.as('lag'))
          .executeTakeFirst()
          .catch(() => undefined);
        this.set(Number(row?.lag ?? 0));
      },
    });
    this.passes = new Counter({
      name: PASSES_METRIC,
      help: 'Relay passes, each one transaction that reads and publishes a batch of the outbox',
      registers: [registry],
    });
    this.published = new Counter({
      name: PUBLISHED_METRIC,
      help: 'Outbox events the bus acknowledged',
      registers: [registry],
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    // This process's own commits already nudged the relay.
    this.stopListening = await this.database.listen('kaif_outbox', (notification) => {
      if (!notification.local) this.nudge();
    });
    this.nudge();
  }

  /** Asks for a pass soon; passes never overlap. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.stopListening?.();
    for (const metric of [LAG_METRIC, PASSES_METRIC, PUBLISHED_METRIC]) this.registry.removeSingleMetric(metric);
  }

  /**
   * How far live delivery trails the commits while the bus takes every
   * event: how long the oldest event a full pass left behind has waited (0
   * once a pass leaves nothing behind). Send admission reads it
   * (LogBatching.deliveryBehind) to admit no more than the relay publishes.
   * 0 while the bus refuses, and while the backlog it left drains: in an
   * outage, sends are still acknowledged and their events wait in the
   * outbox until the bus is back. On a node whose relay did not get the
   * lock, the same as the holder's, from what it last shared.
   */
  behindMs(): number {
    return this.behindSince === undefined ? 0 : performance.now() - this.behindSince;
  }

  /** Publishes every pending event; returns how many it published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, failed } = await this.relayBatch();
      total += published;
      if (failed) throw new Error('the bus refused an outbox event');
      if (published < this.batchSize) return total;
    }
  }

  private async pass(): Promise<void> {
    let delay = this.pollMs;
    try {
      const { published, failed, locked } = await this.relayBatch();
      if (failed) delay = this.retryMs;
      else if (published === this.batchSize) delay = 0;
      // Behind by another node's relay's account: look again soon, since no
      // commit of this node nudges it while its sends are refused.
      else if (!locked && this.behindSince !== undefined) delay = Math.min(this.pollMs, FOLLOW_MS);
    } catch (error) {
      this.behindSince = undefined;
      this.recovering = true;
      delay = this.retryMs;
      this.logger.warn({ err: (error as Error).message }, 'outbox relay could not publish; will retry');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => this.nudge(), delay);
      this.timer.unref();
    }
  }

  private relayBatch(): Promise<{ readonly published: number; readonly failed: boolean; readonly locked: boolean }> {
    this.passes.inc();
    return this.db.transaction().execute(async (trx) => {
      // Lock, read the shared state and the batch in one round trip: the
      // batch is read only when this relay took the lock (`materialized`
      // runs the lock once, first). The payload as text: the bus passes it
      // on as it is, unparsed.
      const readAt = performance.now();
      const { rows } = await sql<BatchRow>`
        with lock as materialized (select pg_try_advisory_xact_lock(${RELAY_LOCK_ID}) as locked)
        select lock.locked, ${sharedBehindMs} as shared_behind_ms,
               batch.id, batch.event_id, batch.subject, batch.payload::text as payload_json,
               extract(epoch from clock_timestamp() - batch.created_at) * 1000 as age_ms
        from lock
        left join lateral (
          select id, event_id, subject, payload, created_at from platform.outbox where lock.locked order by id limit ${this.batchSize}
        ) batch on true`.execute(trx);
      const head = rows[0]!;
      if (!head.locked) {
        // Another node's relay holds the lock: its view is this node's too,
        // so that every node's sends wait for the same backlog.
        this.behindSince = head.shared_behind_ms === null ? undefined : readAt - Number(head.shared_behind_ms);
        return { published: 0, failed: false, locked: false };
      }
      const batch = rows.filter((row): row is LockedBatchRow => row.id !== null);
      if (batch.length === 0) {
        this.behindSince = undefined;
        this.recovering = false;
        if (head.shared_behind_ms !== null) await shareCaughtUp(trx);
        return { published: 0, failed: false, locked: true };
      }
      const events: DurableEvent[] = batch.map((row) => ({ subject: row.subject, id: row.event_id, json: envelopeJson(row.event_id, row.payload_json) }));
      const { stored, error } = await this.bus.publishDurableBatch(events);
      await this.options.afterPublish?.();
      // After a full pass, what waits is at least as old as the last event
      // it published. A bus that refuses is an outage, not a relay that
      // cannot keep up: the events wait durably, sends go on while they
      // drain (behindMs).
      const full = batch.length === this.batchSize;
      this.recovering = error !== undefined || (this.recovering && full);
      const last = full && !this.recovering ? batch.at(-1) : undefined;
      this.behindSince = last === undefined ? undefined : readAt - Number(last.age_ms);
      // Deleted, not marked: the bus has the events now, and a deleted
      // message's text must not linger here. By id, not `id <= last`: a
      // transaction that took a lower id may have committed since the read.
      // The statement also shares since when the oldest waiting event has
      // waited (the last one published; the update still sees the row it
      // deletes), or that nothing waits, if that changed.
      if (stored > 0) {
        const ids = batch.slice(0, stored).map((row) => row.id);
        await sql`
          with published as (delete from platform.outbox where id = any(${ids}::bigint[]))
          update platform.outbox_relay_state
          set behind_since = (select created_at from platform.outbox where id = ${last?.id ?? null}::bigint), shared_at = clock_timestamp()
          where behind_since is not null or ${last?.id ?? null}::bigint is not null`.execute(trx);
      } else if (head.shared_behind_ms !== null) {
        await shareCaughtUp(trx);
      }
      this.published.inc(stored);
      if (error) {
        // The rest waits for the next pass, which republishes from the
        // refused event on, in order.
        this.logger.warn({ err: error.message, published: stored, refused: batch.length - stored }, 'bus refused an outbox event; backing off');
      }
      return { published: stored, failed: error !== undefined, locked: true };
    });
  }
}

interface BatchRow {
  readonly locked: boolean;
  readonly shared_behind_ms: number | null;
  readonly id: number | null;
  readonly event_id: string;
  readonly subject: string;
  readonly payload_json: string;
  readonly age_ms: number;
}

type LockedBatchRow = BatchRow & { readonly id: number };

/** Tells the other nodes' relays that nothing waits any more (or that what waits is an outage's backlog). */
async function shareCaughtUp(trx: Kysely<PlatformTables>): Promise<void> {
  await sql`update platform.outbox_relay_state set behind_since = null, shared_at = clock_timestamp()`.execute(trx);
}

/** The EventEnvelope (outbox.ts) of an outbox row, as JSON, around its payload's JSON text. */
function envelopeJson(eventId: string, payloadJson: string): string {
  return `{"eventId":${JSON.stringify(eventId)},"body":${payloadJson}}`;
}

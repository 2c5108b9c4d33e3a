import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { PlatformTables } from './outbox-tables.js';
import { sharedBehindMs } from './relay-state.js';

/** How often a node without a relay rereads the shared lag: a few times within KAIF_SEND_MAX_DELIVERY_LAG_MS's default second. */
const DEFAULT_INTERVAL_MS = 250;

/**
 * How far live delivery trails the commits, on a node that runs no outbox
 * relay (no `worker` role): what the cluster's relay last shared in
 * `platform.outbox_relay_state`, reread every `intervalMs`. Without it such
 * a node would admit sends by its lanes alone while the relay fell behind.
 * An unreadable or stale state counts as not behind: the database's own
 * errors already refuse the sends, and a stale one was left by a relay that
 * stopped (relay-state.ts).
 */
export class RelayLagFollower {
  private readonly db: Kysely<PlatformTables>;
  private behindSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = true;

  constructor(
    database: Database,
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
  ) {
    this.db = database.kysely<PlatformTables>();
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.read();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
  }

  /** The same measure as OutboxRelay.behindMs on the node whose relay holds the lock. */
  behindMs(): number {
    return this.behindSince === undefined ? 0 : performance.now() - this.behindSince;
  }

  private read(): Promise<void> {
    const readAt = performance.now();
    this.reading = sql<{ readonly behind_ms: number | null }>`select ${sharedBehindMs} as behind_ms`
      .execute(this.db)
      .then(
        ({ rows }) => {
          const behind = rows[0]?.behind_ms ?? null;
          this.behindSince = behind === null ? undefined : readAt - Number(behind);
        },
        () => {
          this.behindSince = undefined;
        },
      )
      .finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => void this.read(), this.intervalMs);
        this.timer.unref();
      });
    return this.reading;
  }
}

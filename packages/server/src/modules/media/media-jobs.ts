import { type Kysely, type Transaction, sql } from 'kysely';
import type { MediaTables } from './media-tables.js';

/** Attempts before a job is dropped (the media stays, without a poster). */
export const MAX_ATTEMPTS = 3;

/**
 * The media job queue: one row per job in `media.jobs`, so work survives a
 * restart. A worker claims a job with a lease (`for update skip locked`, so
 * workers on several nodes never take the same one); completing deletes the
 * row; a worker that dies leaves the lease to run out, and the job is taken
 * again. At least once: a job may run twice, so each is idempotent.
 */
export class MediaJobs {
  constructor(private readonly db: Kysely<MediaTables>) {}

  /** Adds a job inside the transaction that stores its media: both or neither. */
  async enqueue(trx: Transaction<MediaTables>, mediaId: string): Promise<void> {
    const now = new Date();
    await trx.insertInto('media.jobs').values({ media_id: mediaId, attempts: 0, run_after: now, lease_until: null, created_at: now }).execute();
  }

  /** The oldest job due and not leased, now leased for `leaseMs`; null when there is none. */
  async claim(leaseMs: number): Promise<{ readonly mediaId: string; readonly attempt: number } | null> {
    const claimed = await sql<{ media_id: string; attempts: number }>`
      update media.jobs set attempts = attempts + 1, lease_until = now() + ${`${leaseMs} milliseconds`}::interval
      where media_id = (
        select media_id from media.jobs
        where run_after <= now() and (lease_until is null or lease_until < now())
        order by created_at
        limit 1
        for update skip locked)
      returning media_id, attempts`.execute(this.db);
    const row = claimed.rows[0];
    return row ? { mediaId: row.media_id, attempt: Number(row.attempts) } : null;
  }

  async complete(mediaId: string): Promise<void> {
    await this.db.deleteFrom('media.jobs').where('media_id', '=', mediaId).execute();
  }

  /** A failed attempt: retried after `delayMs`, or dropped after MAX_ATTEMPTS. Returns whether it will run again. */
  async failed(mediaId: string, attempt: number, delayMs: number): Promise<boolean> {
    if (attempt >= MAX_ATTEMPTS) {
      await this.complete(mediaId);
      return false;
    }
    await sql`
      update media.jobs set lease_until = null, run_after = now() + ${`${delayMs} milliseconds`}::interval
      where media_id = ${mediaId}`.execute(this.db);
    return true;
  }
}

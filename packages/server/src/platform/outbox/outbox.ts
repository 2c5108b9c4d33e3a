import { randomUUID } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { BusPayload } from '../bus/bus.js';
import type { PlatformTables } from './outbox-tables.js';

/** An event a module wants published once its transaction commits. */
export interface OutboxEvent {
  /** A durable subject under `kaif.ev.` */
  readonly subject: string;
  readonly payload: BusPayload;
}

/** What the relay puts on the bus: the payload plus the id to deduplicate by. */
export interface EventEnvelope {
  readonly eventId: string;
  readonly body: BusPayload;
}

export function isEventEnvelope(value: BusPayload): value is EventEnvelope & BusPayload {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { eventId?: unknown }).eventId === 'string';
}

/**
 * Transactional outbox: `enqueue` writes the events in the caller's
 * transaction, so they exist if and only if the data does. The relay
 * publishes them after commit, at least once. After commit the caller wakes
 * its own process's relay (`outboxCommitted`); relays elsewhere hear a
 * notification.
 */
export async function enqueueEvents(
  trx: Transaction<unknown> | Kysely<unknown>,
  events: readonly OutboxEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const db = trx as unknown as Kysely<PlatformTables>;
  // One statement, so a batch of sends pays one round trip for its events.
  // The notification wakes relays on other nodes once the transaction
  // commits; the committing process wakes its own relay directly.
  await db
    .with('stored', (query) =>
      query.insertInto('platform.outbox').values(
        events.map((event) => ({
          event_id: randomUUID(),
          subject: event.subject,
          payload: JSON.stringify(event.payload),
        })),
      ),
    )
    .selectNoFrom(sql`pg_notify('kaif_outbox', '')`.as('notified'))
    .execute();
}

/**
 * Applies an event at most once per consumer: records its id in the
 * consumer's inbox inside the consumer's own transaction and reports whether
 * it was new. A redelivered event finds its id already there.
 */
export async function claimEvent(trx: Transaction<unknown>, consumer: string, eventId: string): Promise<boolean> {
  const db = trx as unknown as Transaction<PlatformTables>;
  const inserted = await db
    .insertInto('platform.inbox')
    .values({ consumer, event_id: eventId })
    .onConflict((conflict) => conflict.doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Whether the consumer already applied the event (claimEvent committed for
 * it): lets a consumer whose work is not one transaction skip a redelivered
 * event before doing it again, and claim it once done.
 */
export async function isEventClaimed(db: Kysely<unknown>, consumer: string, eventId: string): Promise<boolean> {
  const row = await (db as unknown as Kysely<PlatformTables>)
    .selectFrom('platform.inbox')
    .select('event_id')
    .where('consumer', '=', consumer)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return row !== undefined;
}

import { type Kysely, type Migration, sql } from 'kysely';
import { createNodes } from '../cluster/node-tables.js';
import type { ModuleMigrations } from '../db/database.js';

export interface OutboxTable {
  id: import('kysely').Generated<number>;
  event_id: string;
  subject: string;
  payload: unknown;
  created_at: import('kysely').Generated<Date>;
}

export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: import('kysely').Generated<Date>;
}

export interface PlatformTables {
  'platform.outbox': OutboxTable;
  'platform.inbox': InboxTable;
}

const createOutbox: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table platform.outbox (
        id bigserial primary key,
        event_id uuid not null unique,
        subject text not null,
        payload jsonb not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table platform.inbox (
        consumer text not null,
        event_id uuid not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      )`.execute(db);
  },
};

/**
 * What the relay holding the lock last saw, for the relays that did not get
 * it: since when (the database's clock) the oldest event a full pass left
 * behind has waited; null while caught up, or while a bus outage's backlog
 * drains; and when that was written (relay-state.ts). One row, written only
 * when it changes.
 */
const createRelayState: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table platform.outbox_relay_state (
        id boolean primary key default true check (id),
        behind_since timestamptz,
        shared_at timestamptz not null default now()
      )`.execute(db);
    await sql`insert into platform.outbox_relay_state default values`.execute(db);
  },
};

export const platformMigrations: ModuleMigrations = {
  schema: 'platform',
  migrations: { '0001_outbox': createOutbox, '0002_nodes': createNodes, '0003_relay_state': createRelayState },
};

import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { PushDeliveryState } from '@kaif/protocol';
import type { ModuleMigrations } from '../../platform/db/database.js';

/** One row at most: the VAPID key pair made at first start (unless KAIF_VAPID_* set one). */
export interface VapidKeysTable {
  singleton: Generated<boolean>;
  public_key: string;
  /** SecretBox-sealed, bound to the row by the associated data `push.vapid`. */
  private_key_sealed: string;
  created_at: Generated<Date>;
}

/** A browser's push subscription, bound to the device session that made it. */
export interface SubscriptionsTable {
  id: string;
  user_id: string;
  session_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: Generated<Date>;
}

export interface MutesTable {
  user_id: string;
  chat_id: string;
  until: Date;
}

export interface SettingsTable {
  user_id: string;
  previews: boolean;
}

/** Short-lived: one row per message and recipient device, purged after the ledger's lifetime. */
export interface LedgerTable {
  chat_id: string;
  seq: number;
  subscription_id: string;
  user_id: string;
  state: PushDeliveryState;
  detail: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PushTables {
  'push.vapid_keys': VapidKeysTable;
  'push.subscriptions': SubscriptionsTable;
  'push.mutes': MutesTable;
  'push.settings': SettingsTable;
  'push.ledger': LedgerTable;
}

export type PushDb = Kysely<PushTables>;

const createPush: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table push.vapid_keys (
        singleton boolean primary key default true check (singleton),
        public_key text not null,
        private_key_sealed text not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table push.subscriptions (
        id uuid primary key,
        user_id uuid not null,
        session_id uuid not null,
        endpoint text not null unique,
        p256dh text not null,
        auth text not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index subscriptions_by_user on push.subscriptions (user_id)`.execute(db);
    await sql`create index subscriptions_by_session on push.subscriptions (session_id)`.execute(db);
    await sql`
      create table push.mutes (
        user_id uuid not null,
        chat_id uuid not null,
        until timestamptz not null,
        primary key (user_id, chat_id)
      )`.execute(db);
    await sql`
      create table push.settings (
        user_id uuid primary key,
        previews boolean not null default false
      )`.execute(db);
    await sql`
      create table push.ledger (
        chat_id uuid not null,
        seq bigint not null,
        subscription_id uuid not null,
        user_id uuid not null,
        state text not null,
        detail text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (chat_id, seq, subscription_id)
      )`.execute(db);
    await sql`create index ledger_by_age on push.ledger (created_at)`.execute(db);
  },
};

export const pushMigrations: ModuleMigrations = {
  schema: 'push',
  migrations: { '0001_push': createPush },
};

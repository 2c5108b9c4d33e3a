import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { ModuleMigrations } from '../../platform/db/database.js';

export interface DevicesTable {
  /** Chosen by the device (a UUID); bound to its user and session on first publish. */
  device_id: string;
  user_id: string;
  session_id: string;
  created_at: Date;
}

export interface KeyPackagesTable {
  id: Generated<number>;
  device_id: string;
  /** A public MLS KeyPackage (RFC 9420 §10), base64: no private key ever reaches the server. */
  key_package: string;
  created_at: Date;
}

export interface KeysTables {
  'keys.devices': DevicesTable;
  'keys.key_packages': KeyPackagesTable;
}

const createDirectory: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table keys.devices (
        device_id text primary key,
        user_id text not null,
        session_id text not null,
        created_at timestamptz not null
      )`.execute(db);
    await sql`create index devices_by_user on keys.devices (user_id)`.execute(db);
    await sql`
      create table keys.key_packages (
        id bigserial primary key,
        device_id text not null references keys.devices (device_id) on delete cascade,
        key_package text not null,
        created_at timestamptz not null
      )`.execute(db);
    await sql`create index key_packages_by_device on keys.key_packages (device_id, id)`.execute(db);
  },
};

export const keysMigrations: ModuleMigrations = {
  schema: 'keys',
  migrations: { '0001_key_directory': createDirectory },
};

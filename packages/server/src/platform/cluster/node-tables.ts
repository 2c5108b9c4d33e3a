import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

/** One row per running node on a shared database, kept fresh by its heartbeat. */
export interface NodesTable {
  id: string;
  roles: string[];
  /** Whether the node publishes and listens on a bus other nodes share (NATS). */
  shared_bus: boolean;
  /** Whether its key-value store (sessions cache, presence, rate limits) is shared (Redis). */
  shared_store: boolean;
  host: string;
  pid: number;
  started_at: import('kysely').Generated<Date>;
  last_seen: Date;
}

export interface NodeTables {
  'platform.nodes': NodesTable;
}

export const createNodes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table platform.nodes (
        id uuid primary key,
        roles text[] not null,
        shared_bus boolean not null,
        shared_store boolean not null,
        host text not null,
        pid integer not null,
        started_at timestamptz not null default now(),
        last_seen timestamptz not null
      )`.execute(db);
  },
};

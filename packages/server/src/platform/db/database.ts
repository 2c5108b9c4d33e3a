import type { Kysely, Migration } from 'kysely';
import type { HealthCheck } from '../health/health.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** A module's migrations, applied in name order inside the module's own schema. */
export interface ModuleMigrations {
  readonly schema: string;
  readonly migrations: Readonly<Record<string, Migration>>;
}

/** A NOTIFY as a listener sees it. */
export interface DatabaseNotification {
  /**
   * Sent by one of this object's own connections, so by this process: a
   * listener that is told of its own commits directly can skip these.
   */
  readonly local: boolean;
}

/**
 * The source of truth. Both implementations speak the same SQL (PostgreSQL 15
 * and older features only), run the same migrations and answer the same
 * Kysely queries.
 *
 * Guarantees: a transaction either commits entirely or not at all; a call
 * that returns after commit is durable: on PostgreSQL its WAL is fsynced; on
 * PGlite the WAL is written to the data directory but never fsynced (no
 * PGlite option enables it), so it survives kill -9 of the server, not a
 * power loss. Embedded PGlite has one connection, so transactions are
 * serialized; PostgreSQL runs them concurrently from a pool.
 *
 * Inside a transaction callback, use the transaction: a query or a new
 * transaction on the root handle from the callback's async flow throws
 * RootQueryInTransactionError on both engines, where PGlite would wait on
 * itself forever (transaction-guard.ts).
 */
export interface Database extends HealthCheck {
  readonly kind: DatabaseKind;
  /** A typed view for a module whose tables are named `schema.table`. */
  kysely<Tables>(): Kysely<Tables>;
  /** Applies every pending migration of the given modules, under one lock. */
  migrate(modules: readonly ModuleMigrations[]): Promise<void>;
  /** LISTEN on a channel; the callback runs for each NOTIFY after its commit. */
  listen(channel: string, onNotify: (notification: DatabaseNotification) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

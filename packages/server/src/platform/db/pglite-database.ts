import { mkdir } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import type { CheckResult } from '../health/health.js';
import type { Database, ModuleMigrations } from './database.js';
import { migrateModules } from './migrate.js';
import { PgliteThread } from './pglite-thread.js';
import { PgliteThreadDialect } from './pglite-thread-driver.js';
import { guardedKysely } from './transaction-guard.js';

export interface PgliteOptions {
  /** A directory for a durable database, or undefined for memory only (tests). */
  readonly dataDir: string | undefined;
  /** Start from this dump instead of an empty cluster (fast test setup). */
  readonly loadDataDir?: Blob;
}

/**
 * Embedded PostgreSQL (PGlite, WASM) for the one-process shape. PGlite runs
 * in a worker thread, because each of its statements runs synchronously and
 * on the main thread would stall every socket of the server for its
 * duration. In-process, so it needs no resilience policy; single-connection,
 * so transactions run one at a time.
 *
 * Durability (checked in @electric-sql/pglite 0.4.6): PGlite starts
 * PostgreSQL with -F (fsync=off; synchronous_commit stays on), and on Node
 * its data directory is Emscripten's NODEFS, which writes through to the
 * files with writeSync but whose fsync and fdatasync are no-ops anyway. No
 * option turns syncing on: `relaxedDurability` only affects the browser's
 * IndexedDB. A COMMIT that returned has its WAL in the operating system's
 * page cache, so it survives kill -9 of the server, not a power loss or a
 * kernel crash.
 */
export async function openPgliteDatabase(options: PgliteOptions): Promise<Database & { dump(): Promise<Blob> }> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const thread = await PgliteThread.start({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  const kysely = guardedKysely(new PgliteThreadDialect(thread));
  return {
    kind: 'pglite',
    name: 'database',
    essential: true,
    kysely: <Tables>() => kysely as unknown as Kysely<Tables>,
    migrate: (modules: readonly ModuleMigrations[]) => migrateModules(kysely, modules),
    async check(): Promise<CheckResult> {
      await sql`select 1`.execute(kysely);
      return { status: 'up', detail: 'pglite' };
    },
    // One connection, owned by this process: every notification is local.
    listen: (channel, onNotify) => thread.listen(channel, () => onNotify({ local: true })),
    dump: () => thread.call('dump', {}),
    async close() {
      await kysely.destroy();
      await thread.close();
    },
  };
}

import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { type Kysely, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { CheckResult } from '../health/health.js';
import type { Database, ModuleMigrations } from './database.js';
import { migrateModules } from './migrate.js';
import { guardedKysely } from './transaction-guard.js';

export interface PgliteOptions {
  /** A directory for a durable database, or undefined for memory only (tests). */
  readonly dataDir: string | undefined;
  /** Start from this dump instead of an empty cluster (fast test setup). */
  readonly loadDataDir?: Blob;
}

/**
 * Embedded PostgreSQL (PGlite, WASM) for the one-process shape. In-process, so
 * it needs no resilience policy; single-connection, so transactions run one
 * at a time.
 */
export async function openPgliteDatabase(options: PgliteOptions): Promise<Database & { dump(): Promise<Blob> }> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    // int8 holds counters and sequence numbers that fit in 2^53, as with pg.
    parsers: { 20: (value: string) => Number(value) },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const kysely = guardedKysely(new PGliteDialect(pglite));
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
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, () => onNotify());
      return () => unlisten();
    },
    dump: () => pglite.dumpDataDir('none'),
    async close() {
      await kysely.destroy();
    },
  };
}

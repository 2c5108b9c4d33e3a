import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { ModuleMigrations } from './database.js';

/** Arbitrary but fixed: every node takes the same lock before migrating. */
const MIGRATION_LOCK_ID = 7_311_245;

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Readonly<Record<string, Migration>>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...this.migrations };
  }
}

/**
 * Runs each module's migrations in its own schema, on one connection holding
 * a session advisory lock, so nodes starting together migrate once.
 */
export async function migrateModules(db: Kysely<unknown>, modules: readonly ModuleMigrations[]): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(connection);
    try {
      for (const module of modules) {
        await sql`create schema if not exists ${sql.id(module.schema)}`.execute(connection);
        const migrator = new Migrator({
          db: connection,
          provider: new StaticMigrationProvider(module.migrations),
          migrationTableSchema: module.schema,
        });
        const { error, results } = await migrator.migrateToLatest();
        if (error) {
          const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
          throw new Error(`migration ${module.schema}/${failed} failed: ${String(error)}`, { cause: error });
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(connection);
    }
  });
}

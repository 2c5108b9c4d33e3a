import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { Database, ModuleMigrations } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';

const ALL_MIGRATIONS: readonly ModuleMigrations[] = [
  platformMigrations,
  ...MODULES.flatMap((module) => module.migrations ?? []),
];

/**
 * A fresh in-memory PGlite with every migration applied. Building a cluster
 * and migrating takes seconds; loading a dump of one takes about one, so the
 * dump is made once per migration set and cached in the temp directory.
 */
export async function openMigratedPglite(): Promise<Database> {
  const fingerprint = createHash('sha256')
    .update(
      ALL_MIGRATIONS.map(
        (module) =>
          `${module.schema}:${Object.entries(module.migrations)
            .map(([name, migration]) => `${name}=${String(migration.up)}`)
            .join('|')}`,
      ).join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
  const path = join(tmpdir(), `kaif-pglite-template-${fingerprint}.tar`);
  if (existsSync(path)) {
    const dump = new Blob([await readFile(path)]);
    return openPgliteDatabase({ dataDir: undefined, loadDataDir: dump });
  }
  const db = await openPgliteDatabase({ dataDir: undefined });
  await db.migrate(ALL_MIGRATIONS);
  const dump = await db.dump();
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, path);
  return db;
}

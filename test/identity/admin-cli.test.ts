import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { TEST_SECRET_KEY } from '../support/test-server.js';

const KAIF = join(import.meta.dirname, '../../packages/server/bin/kaif.js');

describe('kaif admin grant', { timeout: 90_000 }, () => {
  let dataDir: string;
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [KAIF, ...args], {
      env: { ...process.env, KAIF_DATA_DIR: dataDir, KAIF_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-admin-cli-'));
    const db = await openPgliteDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      await db.migrate([platformMigrations, ...MODULES.flatMap((module) => module.migrations ?? [])]);
      await db
        .kysely<IdentityTables>()
        .insertInto('identity.users')
        .values({
          id: '11111111-1111-4111-8111-111111111111',
          username: 'Operator',
          email: 'operator@example.test',
          display_name: 'Operator',
          role: 'user',
          password_hash: 'unused',
          disabled_at: null,
        })
        .execute();
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes the named account an admin, ignoring case', async () => {
    const result = await run('admin', 'grant', 'operator');
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('operator is now an admin') });
    const db = await openPgliteDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      const row = await db.kysely<IdentityTables>().selectFrom('identity.users').select('role').executeTakeFirstOrThrow();
      expect(row.role).toBe('admin');
    } finally {
      await db.close();
    }
  });

  it('fails with a clear line for an unknown username', async () => {
    expect(await run('admin', 'grant', 'nobody_here')).toMatchObject({ code: 1, stderr: 'kaif: no user named nobody_here\n' });
  });

  it('prints its usage when the arguments are wrong', async () => {
    expect(await run('admin', 'revoke')).toMatchObject({ code: 64, stderr: 'usage: kaif admin grant <username>\n' });
  });
});

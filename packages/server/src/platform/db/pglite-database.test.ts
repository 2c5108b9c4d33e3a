import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openPgliteDatabase } from './pglite-database.js';

// What the shared contract (database.test.ts) cannot say: PGlite's own data
// directory, its dumps, and the worker thread it runs in.
describe('embedded PGlite database', () => {
  it('keeps what was committed when closed and reopened on the same data directory, and dumps it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kaif-pglite-'));
    const first = await openPgliteDatabase({ dataDir });
    await sql`create table notes (body text)`.execute(first.kysely());
    await sql`insert into notes values ('kept')`.execute(first.kysely());
    await first.close();

    const reopened = await openPgliteDatabase({ dataDir });
    const dump = await reopened.dump();
    await reopened.close();
    expect(dump).toBeInstanceOf(Blob);

    const restored = await openPgliteDatabase({ dataDir: undefined, loadDataDir: dump });
    const { rows } = await sql<{ body: string }>`select body from notes`.execute(restored.kysely());
    expect(rows).toEqual([{ body: 'kept' }]);
    await restored.close();
  }, 90_000);

  it('lets the process exit when nobody closes it, and not while a query is in flight', async () => {
    const module = new URL('./pglite-database.ts', import.meta.url).href;
    const script = `(async () => {
      const { openPgliteDatabase } = await import(${JSON.stringify(module)});
      const db = await openPgliteDatabase({ dataDir: undefined });
      await db.check();
      console.log('answered');
    })()`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--eval', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hung = setTimeout(() => child.kill(), 60_000);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.on('exit', resolve));
    clearTimeout(hung);
    expect(stdout.trim()).toBe('answered');
    expect(exitCode).toBe(0);
  }, 90_000);
});

import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { createScratchDatabase, engineAvailable } from '../../../../../test/support/engines.js';
import type { Database, ModuleMigrations } from './database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { RootQueryInTransactionError, outsideTransaction } from './transaction-guard.js';

interface OpenDatabase {
  readonly db: Database;
  /** Opens another pool on the same database, as another node would. */
  readonly openAnother?: () => Promise<Database>;
  dispose(): Promise<void>;
}

const IMPLEMENTATIONS: { name: string; open: () => Promise<OpenDatabase> }[] = [
  {
    name: 'pglite',
    open: async () => {
      const db = await openPgliteDatabase({ dataDir: undefined });
      return { db, dispose: () => db.close() };
    },
  },
  ...(engineAvailable('postgres')
    ? [
        {
          name: 'postgres',
          open: async () => {
            const scratch = await createScratchDatabase();
            const db = await openPostgresDatabase({ url: scratch.url, poolSize: 5, ...adapterDeps('postgres') });
            return {
              db,
              openAnother: () => openPostgresDatabase({ url: scratch.url, poolSize: 2, ...adapterDeps('postgres') }),
              dispose: async () => {
                await db.close();
                await scratch.drop();
              },
            };
          },
        },
      ]
    : []),
];

interface Tables {
  'sample.counters': { id: string; value: number };
}

const sampleModule: ModuleMigrations = {
  schema: 'sample',
  migrations: {
    '0001_counters': {
      async up(db: Kysely<unknown>) {
        await sql`create table sample.counters (id text primary key, value bigint not null)`.execute(db);
      },
    },
  },
};

for (const implementation of IMPLEMENTATIONS) {
  describe(`database contract: ${implementation.name}`, async () => {
    const { db, openAnother, dispose } = await implementation.open();
    afterAll(dispose);
    const kysely = db.kysely<Tables>();

    it('applies a module’s migrations in its own schema, once, even when asked concurrently', async () => {
      await Promise.all([db.migrate([sampleModule]), db.migrate([sampleModule])]);
      await db.migrate([sampleModule]);
      const tables = await sql<{ table_schema: string }>`
        select table_schema from information_schema.tables where table_name = 'counters'`.execute(kysely);
      expect(tables.rows.map((row) => row.table_schema)).toEqual(['sample']);
    });

    it('returns bigint columns as numbers', async () => {
      await kysely.insertInto('sample.counters').values({ id: 'big', value: 2 ** 40 }).execute();
      const row = await kysely.selectFrom('sample.counters').selectAll().where('id', '=', 'big').executeTakeFirstOrThrow();
      expect(row.value).toBe(2 ** 40);
    });

    it('commits a transaction entirely or not at all', async () => {
      await kysely.transaction().execute(async (trx) => {
        await trx.insertInto('sample.counters').values({ id: 'kept', value: 1 }).execute();
      });
      await expect(
        kysely.transaction().execute(async (trx) => {
          await trx.insertInto('sample.counters').values({ id: 'lost', value: 1 }).execute();
          await trx.insertInto('sample.counters').values({ id: 'kept', value: 2 }).execute();
        }),
      ).rejects.toThrow();
      const ids = (await kysely.selectFrom('sample.counters').select('id').execute()).map((row) => row.id);
      expect(ids).toContain('kept');
      expect(ids).not.toContain('lost');
    });

    it('leaves no transaction open after one that ran no statement, failed on its first, or threw before any', async () => {
      // Outside a transaction every statement is its own: two txid_current() calls differ.
      const outsideAnyTransaction = async () => {
        const first = await sql<{ id: string }>`select txid_current()::text as id`.execute(kysely);
        const second = await sql<{ id: string }>`select txid_current()::text as id`.execute(kysely);
        return first.rows[0]!.id !== second.rows[0]!.id;
      };
      await kysely.transaction().execute(async () => {});
      expect(await outsideAnyTransaction()).toBe(true);
      await expect(
        kysely.transaction().execute(async (trx) => {
          await sql`select * from sample.no_such_table`.execute(trx);
        }),
      ).rejects.toThrow();
      expect(await outsideAnyTransaction()).toBe(true);
      await expect(
        kysely.transaction().execute(async () => {
          throw new Error('changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      expect(await outsideAnyTransaction()).toBe(true);
    });

    it('serializes concurrent increments of one row without losing any', async () => {
      await kysely.insertInto('sample.counters').values({ id: 'race', value: 0 }).execute();
      await Promise.all(
        Array.from({ length: 30 }, () =>
          kysely.transaction().execute(async (trx) => {
            await trx
              .updateTable('sample.counters')
              .set((eb) => ({ value: eb('value', '+', 1) }))
              .where('id', '=', 'race')
              .execute();
          }),
        ),
      );
      const row = await kysely.selectFrom('sample.counters').select('value').where('id', '=', 'race').executeTakeFirstOrThrow();
      expect(row.value).toBe(30);
    });

    it('returns timestamps as dates, json as objects and bytes as bytes', async () => {
      const { rows } = await sql<{ at: unknown; doc: unknown; bytes: unknown }>`
        select timestamptz '2024-01-02T03:04:05Z' as at, '{"a":[1,2]}'::jsonb as doc, '\\x0102ff'::bytea as bytes`.execute(kysely);
      expect(rows[0]!.at).toEqual(new Date('2024-01-02T03:04:05Z'));
      expect(rows[0]!.doc).toEqual({ a: [1, 2] });
      expect(rows[0]!.bytes).toBeInstanceOf(Uint8Array);
      expect([...(rows[0]!.bytes as Uint8Array)]).toEqual([1, 2, 255]);
    });

    it('reports a unique violation with its SQLSTATE, constraint and detail', async () => {
      await kysely.insertInto('sample.counters').values({ id: 'unique', value: 1 }).execute();
      const error = await kysely
        .insertInto('sample.counters')
        .values({ id: 'unique', value: 2 })
        .execute()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        code: '23505',
        constraint: 'counters_pkey',
        detail: 'Key (id)=(unique) already exists.',
        message: 'duplicate key value violates unique constraint "counters_pkey"',
      });
    });

    it('keeps the event loop answering while it works', async () => {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 1);
      let statements = 0;
      const started = Date.now();
      try {
        while (Date.now() - started < 1000) {
          await sql`select sum(g) from generate_series(1, 20000) g`.execute(kysely);
          statements++;
        }
      } finally {
        clearInterval(ticker);
      }
      expect(statements).toBeGreaterThan(10);
      // A 1 ms timer fires up to ~1,000 times a second; in-thread PGlite let it fire 0 times.
      expect(ticks).toBeGreaterThan(100);
    });

    it('notifies listeners after commit, not before', async () => {
      let notified = 0;
      const unlisten = await db.listen('sample_channel', () => notified++);
      await kysely.transaction().execute(async (trx) => {
        await sql`select pg_notify('sample_channel', '')`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(notified).toBe(0);
      });
      const deadline = Date.now() + 3000;
      while (notified === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notified).toBe(1);
      await unlisten();
    });

    it('tells a listener that a notification came from its own connections', async () => {
      const heard: boolean[] = [];
      const unlisten = await db.listen('sample_local', (notification) => heard.push(notification.local));
      await sql`select pg_notify('sample_local', '')`.execute(kysely);
      if (openAnother) {
        const another = await openAnother();
        await sql`select pg_notify('sample_local', '')`.execute(another.kysely());
        await another.close();
      }
      const expected = openAnother ? [true, false] : [true];
      const deadline = Date.now() + 3000;
      while (heard.length < expected.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(expected);
      await unlisten();
    });

    it('refuses a root-handle query or transaction inside a transaction instead of waiting on it', async () => {
      const nested = [
        () => kysely.selectFrom('sample.counters').select('id').execute(),
        () => kysely.transaction().execute((inner) => inner.selectFrom('sample.counters').select('id').execute()),
      ];
      for (const query of nested) {
        await expect(
          kysely.transaction().execute(async (trx) => {
            await trx.insertInto('sample.counters').values({ id: 'nested', value: 1 }).execute();
            await query();
          }),
        ).rejects.toBeInstanceOf(RootQueryInTransactionError);
      }
      const row = await kysely.selectFrom('sample.counters').select('id').where('id', '=', 'nested').executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it('runs work started inside a transaction but not awaited by it, once the transaction ends', async () => {
      let background: Promise<unknown> | undefined;
      await kysely.transaction().execute(async (trx) => {
        await trx.insertInto('sample.counters').values({ id: 'outlives', value: 1 }).execute();
        background = outsideTransaction(() => sql<{ one: number }>`select 1 as one`.execute(kysely));
      });
      await expect(background).resolves.toMatchObject({ rows: [{ one: 1 }] });
    });

    it.runIf(implementation.name === 'postgres')(
      'answers DEPENDENCY_UNAVAILABLE when its connection is killed mid-transaction, then serves again',
      async () => {
        const error = await kysely
          .transaction()
          .execute(async (trx) => {
            const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
            // A second connection on purpose: the transaction's own is the one to kill.
            await outsideTransaction(() => sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(kysely));
            await sql`select 1`.execute(trx);
          })
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retryAfter: 1 });
        await expect(sql`select 1 as one`.execute(kysely)).resolves.toMatchObject({ rows: [{ one: 1 }] });
      },
    );

    it('reports itself up', async () => {
      expect((await db.check()).status).toBe('up');
    });
  });
}

describe.runIf(engineAvailable('postgres'))('postgres adapter when the server is unreachable', () => {
  it('fails fast with DEPENDENCY_UNAVAILABLE once its breaker opens', async () => {
    const deps = adapterDeps('postgres', { breakAfter: 2, halfOpenAfterMs: 60_000, maxAttempts: 1, timeoutMs: 2000 });
    const db = await openPostgresDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 2, ...deps });
    const kysely = db.kysely<Tables>();
    for (let attempt = 0; attempt < 2; attempt++) await expect(sql`select 1`.execute(kysely)).rejects.toThrow();
    const started = Date.now();
    await expect(sql`select 1`.execute(kysely)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(100);
    expect(deps.policy.state).toBe('open');
    await db.close();
  });
});

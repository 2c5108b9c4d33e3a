import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterDeps, eventually } from '../../../../../test/support/adapter-fixtures.js';
import { ENGINE_URLS, createScratchDatabase, engineAvailable } from '../../../../../test/support/engines.js';
import type { Bus, BusPayload } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory-bus.js';
import { openNatsBus } from '../bus/nats-bus.js';
import type { Database } from '../db/database.js';
import { openPgliteDatabase } from '../db/pglite-database.js';
import { openPostgresDatabase } from '../db/postgres-database.js';
import { claimEvent, enqueueEvents, isEventEnvelope } from './outbox.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
import { platformMigrations } from './outbox-tables.js';

interface Engines {
  readonly db: Database;
  readonly bus: Bus;
  readonly urls?: { readonly database: string; readonly nats: string };
  dispose(): Promise<void>;
}

const IMPLEMENTATIONS: { name: string; open: () => Promise<Engines> }[] = [
  {
    name: 'pglite + memory bus',
    open: async () => {
      const db = await openPgliteDatabase({ dataDir: undefined });
      const bus = createMemoryBus();
      return {
        db,
        bus,
        dispose: async () => {
          await bus.close();
          await db.close();
        },
      };
    },
  },
  ...(engineAvailable('postgres') && engineAvailable('nats')
    ? [
        {
          name: 'postgres + nats',
          open: async () => {
            const scratch = await createScratchDatabase();
            const deps = adapterDeps('test');
            const db = await openPostgresDatabase({ url: scratch.url, poolSize: 4, ...deps });
            const bus = await openNatsBus(ENGINE_URLS.nats!, deps);
            return {
              db,
              bus,
              urls: { database: scratch.url, nats: ENGINE_URLS.nats! },
              dispose: async () => {
                await bus.close();
                await db.close();
                await scratch.drop();
              },
            };
          },
        },
      ]
    : []),
];

interface AppliedTable {
  'sample.applied': { event_id: string; n: number };
}

for (const implementation of IMPLEMENTATIONS) {
  describe(`outbox: ${implementation.name}`, async () => {
    const engines = await implementation.open();
    afterAll(() => engines.dispose());
    await engines.db.migrate([
      platformMigrations,
      {
        schema: 'sample',
        migrations: {
          '0001_applied': {
            async up(db: Kysely<unknown>) {
              await sql`create table sample.applied (event_id uuid primary key, n int)`.execute(db);
            },
          },
        },
      },
    ]);
    const kysely = engines.db.kysely<AppliedTable>();

    /** A consumer that applies each event in its own transaction, at most once per event id. */
    const startConsumer = async (subject: string, failFirstAfterCommit = false) => {
      let deliveries = 0;
      const stop = await engines.bus.consume(`applier-${randomUUID()}`, subject, async (payload: BusPayload) => {
        if (!isEventEnvelope(payload)) throw new Error('not an envelope');
        deliveries++;
        await kysely.transaction().execute(async (trx) => {
          if (!(await claimEvent(trx as never, 'applier', payload.eventId))) return;
          await trx
            .insertInto('sample.applied')
            .values({ event_id: payload.eventId, n: (payload.body as { n: number }).n })
            .execute();
        });
        // Simulates a consumer that applied the event but died before acking.
        if (failFirstAfterCommit && deliveries === 1) throw new Error('crashed before ack');
      });
      return { stop, deliveries: () => deliveries };
    };

    const newRelay = (options: OutboxRelayOptions = {}) => {
      const deps = adapterDeps('relay');
      return new OutboxRelay(engines.db, engines.bus, deps.logger, deps.registry, options);
    };

    const enqueue = (subject: string, n: number) =>
      kysely.transaction().execute((trx) => enqueueEvents(trx as never, [{ subject, payload: { n } }]));

    it('delivers an event committed while no relay ran, once the relay starts', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      await enqueue(subject, 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(consumer.deliveries()).toBe(0);
      const relay = newRelay({ pollMs: 50 });
      await relay.start();
      await eventually(() => consumer.deliveries() === 1);
      await relay.stop();
      consumer.stop();
    });

    it('republishes a batch whose relay crashed before marking it, and consumers apply it once', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      await enqueue(subject, 2);
      let crashes = 0;
      const crashing = newRelay({
        afterPublish: async () => {
          crashes++;
          throw new Error('relay died after publishing');
        },
      });
      await expect(crashing.drain()).rejects.toThrow('relay died');
      expect(crashes).toBe(1);
      const relay = newRelay();
      expect(await relay.drain()).toBeGreaterThanOrEqual(1);
      await eventually(async () => (await kysely.selectFrom('sample.applied').select('n').where('n', '=', 2).execute()).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await kysely.selectFrom('sample.applied').select('n').where('n', '=', 2).execute()).toHaveLength(1);
      consumer.stop();
    });

    it('applies a redelivered event once when the consumer died before acknowledging it', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject, true);
      await enqueue(subject, 3);
      const relay = newRelay();
      await relay.drain();
      await eventually(() => consumer.deliveries() >= 2, 10_000);
      expect(await kysely.selectFrom('sample.applied').select('n').where('n', '=', 3).execute()).toHaveLength(1);
      consumer.stop();
    });

    it.runIf(engines.urls !== undefined)('survives kill -9 of the relay process between publishing and marking', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      await enqueue(subject, 4);
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/support/relay-child.ts', engines.urls!.database, engines.urls!.nats],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, killed) => resolve(killed)));
      expect(signal).toBe('SIGKILL');
      expect(output).toContain('published');
      const pending = await sql<{ count: number }>`select count(*)::int as count from platform.outbox`.execute(kysely);
      expect(pending.rows[0]!.count).toBeGreaterThanOrEqual(1);
      const relay = newRelay();
      await relay.drain();
      await eventually(async () => (await kysely.selectFrom('sample.applied').select('n').where('n', '=', 4).execute()).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await kysely.selectFrom('sample.applied').select('n').where('n', '=', 4).execute()).toHaveLength(1);
      consumer.stop();
    }, 30_000);
  });
}

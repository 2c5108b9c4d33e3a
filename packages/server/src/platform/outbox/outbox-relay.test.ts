import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';
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
import { RelayLagFollower } from './relay-lag-follower.js';

interface Engines {
  readonly db: Database;
  readonly bus: Bus;
  readonly urls?: { readonly database: string; readonly nats: string };
  /** Another pool on the same database, as another node would hold. */
  readonly openAnotherNode?: () => Promise<Database>;
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
              openAnotherNode: () => openPostgresDatabase({ url: scratch.url, poolSize: 2, ...adapterDeps('node-b') }),
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

const counterValue = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

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
      const applied: number[] = [];
      const stop = await engines.bus.consume(`applier-${randomUUID()}`, subject, async (payload: BusPayload) => {
        if (!isEventEnvelope(payload)) throw new Error('not an envelope');
        deliveries++;
        await kysely.transaction().execute(async (trx) => {
          if (!(await claimEvent(trx as never, 'applier', payload.eventId))) return;
          applied.push((payload.body as { n: number }).n);
          await trx
            .insertInto('sample.applied')
            .values({ event_id: payload.eventId, n: (payload.body as { n: number }).n })
            .execute();
        });
        // Simulates a consumer that applied the event but died before acking.
        if (failFirstAfterCommit && deliveries === 1) throw new Error('crashed before ack');
      });
      return { stop, deliveries: () => deliveries, applied: () => applied };
    };

    const newRelay = (options: OutboxRelayOptions = {}) => {
      const deps = adapterDeps('relay');
      return new OutboxRelay(engines.db, engines.bus, deps.logger, deps.registry, options);
    };

    /** A relay that notes its behindMs after each pass has published, before it deletes. */
    const lagRecordingRelay = (bus: Bus, options: OutboxRelayOptions) => {
      const seenAfterPublish: number[] = [];
      const deps = adapterDeps('relay');
      const relay: OutboxRelay = new OutboxRelay(engines.db, bus, deps.logger, deps.registry, {
        ...options,
        afterPublish: async () => {
          seenAfterPublish.push(relay.behindMs());
        },
      });
      return { relay, seenAfterPublish };
    };

    const enqueue = (subject: string, n: number) =>
      kysely.transaction().execute((trx) => enqueueEvents(trx as never, [{ subject, payload: { n } }]));

    /** One transaction with `count` events numbered from `first`, as a batch of sends writes them. */
    const enqueueMany = (subject: string, first: number, count: number) =>
      kysely
        .transaction()
        .execute((trx) => enqueueEvents(trx as never, Array.from({ length: count }, (_, i) => ({ subject, payload: { n: first + i } }))));

    it('wakes once per committed transaction, however the commit is announced', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const received: number[] = [];
      const unsubscribe = engines.bus.subscribe(subject, (payload) => {
        if (isEventEnvelope(payload)) received.push((payload.body as { n: number }).n);
      });
      const deps = adapterDeps('relay');
      // No polling during the test: every pass is a wake-up.
      const relay = new OutboxRelay(engines.db, engines.bus, deps.logger, deps.registry, { pollMs: 60_000 });
      await relay.start();
      await eventually(async () => (await counterValue(deps.registry, 'kaif_outbox_relay_passes_total')) === 1);
      const publishedBefore = await counterValue(deps.registry, 'kaif_outbox_published_total');
      for (let batch = 0; batch < 10; batch++) {
        await enqueueMany(subject, batch * 20, 20);
        // What the module does after its commit (`outboxCommitted`); the
        // commit's own notification reaches the relay too.
        relay.nudge();
        await eventually(() => received.length === (batch + 1) * 20);
      }
      // Long enough for a second wake-up per commit to have run.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await counterValue(deps.registry, 'kaif_outbox_relay_passes_total')).toBe(11);
      expect((await counterValue(deps.registry, 'kaif_outbox_published_total')) - publishedBefore).toBe(200);
      expect(received).toEqual([...Array(200).keys()]);
      unsubscribe();
      await relay.stop();
    });

    it.runIf(engines.openAnotherNode !== undefined)('wakes when another node commits events', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      const deps = adapterDeps('relay');
      const relay = new OutboxRelay(engines.db, engines.bus, deps.logger, deps.registry, { pollMs: 60_000 });
      await relay.start();
      const otherNode = await engines.openAnotherNode!();
      await otherNode
        .kysely<unknown>()
        .transaction()
        .execute((trx) => enqueueEvents(trx, [{ subject, payload: { n: 50 } }]));
      await otherNode.close();
      await eventually(() => consumer.applied().length === 1);
      expect(consumer.applied()).toEqual([50]);
      await relay.stop();
      consumer.stop();
    });

    it('republishes from the event the bus refused, and consumers apply every event once, in order', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      // Numbers no other test applies: they share `sample.applied`.
      await enqueueMany(subject, 100, 30);
      // The bus stores the whole batch but acknowledges only the first 10,
      // as when acknowledgements are lost with a connection.
      const lossyBus: Bus = {
        ...engines.bus,
        async publishDurableBatch(events) {
          await engines.bus.publishDurableBatch(events);
          return { stored: 10, error: new Error('acknowledgement lost') };
        },
      };
      const deps = adapterDeps('relay');
      const lossy = new OutboxRelay(engines.db, lossyBus, deps.logger, deps.registry);
      await expect(lossy.drain()).rejects.toThrow('the bus refused');
      const pending = await sql<{ count: number }>`select count(*)::int as count from platform.outbox`.execute(kysely);
      expect(pending.rows[0]!.count).toBe(20);
      expect(await newRelay().drain()).toBe(20);
      await eventually(() => consumer.applied().length === 30);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(consumer.applied()).toEqual([...Array(30).keys()].map((n) => 100 + n));
      consumer.stop();
    });

    it('tells how far delivery trails the commits: behind after a full pass over old events, caught up once none waits', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      // Numbered past what the other tests look up in sample.applied.
      await enqueueMany(subject, 1000, 30);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { relay, seenAfterPublish } = lagRecordingRelay(engines.bus, { batchSize: 10, pollMs: 50 });
      expect(relay.behindMs()).toBe(0);
      await relay.start();
      await eventually(() => consumer.applied().length === 30);
      // The first pass knew nothing yet; the second knew the first left 300 ms old events behind it.
      expect(seenAfterPublish[0]).toBe(0);
      expect(seenAfterPublish[1]).toBeGreaterThanOrEqual(300);
      await eventually(() => relay.behindMs() === 0);
      await relay.stop();
      consumer.stop();
    });

    it.runIf(engines.openAnotherNode !== undefined)(
      "reports the lag on every node: a relay that did not get the lock, or a node without a relay, tells the holder's, so no node admits sends past it",
      async () => {
        const subject = `kaif.ev.sample.${randomUUID()}`;
        const consumer = await startConsumer(subject);
        await enqueueMany(subject, 3000, 30);
        await new Promise((resolve) => setTimeout(resolve, 300));
        // The holder stops inside a chosen pass, after publishing, while it holds the lock.
        let holdPass = 2;
        let passes = 0;
        let release!: () => void;
        let held!: () => void;
        let isHeld = new Promise<void>((resolve) => {
          held = resolve;
        });
        const deps = adapterDeps('relay');
        const holder = new OutboxRelay(engines.db, engines.bus, deps.logger, deps.registry, {
          batchSize: 10,
          pollMs: 50,
          afterPublish: async () => {
            if (++passes !== holdPass) return;
            held();
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          },
        });
        const otherNode = await engines.openAnotherNode!();
        const other = new OutboxRelay(otherNode, engines.bus, deps.logger, adapterDeps('node-b').registry, { batchSize: 10 });
        await holder.start();
        await isHeld;
        // The holder's first full pass left events 300 ms old behind it; the other node cannot take the lock.
        expect(await other.drain()).toBe(0);
        expect(other.behindMs()).toBeGreaterThanOrEqual(300);
        // A node that runs no relay at all reads the same.
        const follower = new RelayLagFollower(otherNode);
        await follower.start();
        expect(follower.behindMs()).toBeGreaterThanOrEqual(300);
        release();
        await eventually(() => consumer.applied().length === 30 && holder.behindMs() === 0);

        // Caught up: the holder shared that too, and the other node follows it while the lock is held.
        holdPass = passes + 1;
        isHeld = new Promise<void>((resolve) => {
          held = resolve;
        });
        await enqueue(subject, 3030);
        await isHeld;
        expect(await other.drain()).toBe(0);
        expect(other.behindMs()).toBe(0);
        await eventually(() => follower.behindMs() === 0);
        await follower.stop();
        release();
        await eventually(() => consumer.applied().length === 31);
        await holder.stop();
        await otherNode.close();
        consumer.stop();
      },
    );

    it('does not hold sends back by the backlog of a relay that stopped: a node without one counts a stale shared state as not behind', async () => {
      const follower = new RelayLagFollower(engines.db, 20);
      const share = (sharedSecondsAgo: number) =>
        sql`update platform.outbox_relay_state
            set behind_since = now() - interval '30 seconds', shared_at = now() - make_interval(secs => ${sharedSecondsAgo})`.execute(kysely);
      // A relay that trails rewrites the state on every pass.
      await share(0);
      await follower.start();
      expect(follower.behindMs()).toBeGreaterThanOrEqual(30_000);
      // Its process ended ten seconds ago, still behind: nothing publishes,
      // and as in a bus outage sends are kept for later, not refused until a relay comes back.
      await share(10);
      await eventually(() => follower.behindMs() === 0);
      await follower.stop();
      await sql`update platform.outbox_relay_state set behind_since = null, shared_at = now()`.execute(kysely);
    });

    it('does not count the backlog a bus outage left as falling behind, while the bus refuses or the backlog drains', async () => {
      const subject = `kaif.ev.sample.${randomUUID()}`;
      const consumer = await startConsumer(subject);
      await enqueueMany(subject, 2000, 30);
      let down = true;
      const flakyBus: Bus = {
        ...engines.bus,
        publishDurableBatch: async (events) => (down ? { stored: 0, error: new Error('bus down') } : engines.bus.publishDurableBatch(events)),
      };
      const { relay, seenAfterPublish } = lagRecordingRelay(flakyBus, { batchSize: 10, pollMs: 50, retryMs: 50 });
      await relay.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      down = false;
      await eventually(() => consumer.applied().length === 30);
      expect(seenAfterPublish.length).toBeGreaterThan(3);
      expect(Math.max(...seenAfterPublish, relay.behindMs())).toBe(0);
      await relay.stop();
      consumer.stop();
    });

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

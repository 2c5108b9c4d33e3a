import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusPayload } from '../../packages/server/src/platform/bus/bus.js';
import { openNatsBus } from '../../packages/server/src/platform/bus/nats-bus.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { claimEvent, enqueueEvents, isEventEnvelope } from '../../packages/server/src/platform/outbox/outbox.js';
import { OutboxRelay } from '../../packages/server/src/platform/outbox/outbox-relay.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { adapterDeps, eventually } from '../support/adapter-fixtures.js';
import { type PrivateEngine, startPrivateNats } from '../support/private-engines.js';

interface Tables {
  'sample.applied': { event_id: string; n: number };
}

describe('NATS killed mid-stream', () => {
  let nats: PrivateEngine | undefined;
  afterAll(async () => {
    await nats?.kill();
  });

  it('keeps committing, grows the outbox backlog, and drains it exactly once when NATS returns', async () => {
    nats = await startPrivateNats();
    const db = await openPgliteDatabase({ dataDir: undefined });
    await db.migrate([
      platformMigrations,
      {
        schema: 'sample',
        migrations: {
          '0001': {
            async up(kysely: Kysely<unknown>) {
              await sql`create table sample.applied (event_id uuid primary key, n int not null)`.execute(kysely);
            },
          },
        },
      },
    ]);
    const kysely = db.kysely<Tables>();
    const deps = adapterDeps('nats', { breakAfter: 3, halfOpenAfterMs: 500, timeoutMs: 1000, maxAttempts: 1 });
    const bus = await openNatsBus(nats.url, deps);
    const relay = new OutboxRelay(db, bus, deps.logger, deps.registry, { pollMs: 50, retryMs: 200 });
    await relay.start();

    const subject = `kaif.ev.sample.${randomUUID()}`;
    const seen: number[] = [];
    const stop = await bus.consume(`applier-${randomUUID()}`, subject, async (payload: BusPayload) => {
      if (!isEventEnvelope(payload)) return;
      const n = (payload.body as { n: number }).n;
      seen.push(n);
      await kysely.transaction().execute(async (trx) => {
        if (await claimEvent(trx as never, 'applier', payload.eventId)) {
          await trx.insertInto('sample.applied').values({ event_id: payload.eventId, n }).execute();
        }
      });
    });

    let committed = 0;
    const send = async () => {
      committed++;
      const n = committed;
      await kysely.transaction().execute((trx) => enqueueEvents(trx as never, [{ subject, payload: { n } }]));
      relay.nudge();
    };
    for (let index = 0; index < 20; index++) await send();
    await eventually(() => seen.length >= 20, 10_000);

    await nats.kill();
    for (let index = 0; index < 30; index++) {
      await send();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const backlog = await sql<{ count: number }>`select count(*)::int as count from platform.outbox`.execute(kysely);
    expect(backlog.rows[0]!.count).toBeGreaterThan(0);
    expect((await bus.check().catch(() => ({ status: 'down' }))).status).toBe('down');

    const restartedAt = Date.now();
    await nats.start();
    await eventually(
      async () => (await kysely.selectFrom('sample.applied').select('n').execute()).length === committed,
      30_000,
      100,
    );
    const recoverySeconds = (Date.now() - restartedAt) / 1000;
    expect(recoverySeconds).toBeLessThan(30);
    const applied = (await kysely.selectFrom('sample.applied').select('n').orderBy('n').execute()).map((row) => row.n);
    expect(applied).toEqual(Array.from({ length: committed }, (_, index) => index + 1));

    stop();
    await relay.stop();
    await bus.close();
    await db.close();
  }, 90_000);
});

/**
 * Publish lag of the outbox relay: how long after a transaction with events
 * commits a live subscriber on NATS has them. Writers commit outbox rows at a
 * fixed rate, 100 events per transaction as the send batcher writes them,
 * on PostgreSQL; the real relay publishes them to JetStream. The baseline,
 * in the same run and at the same rates, publishes the same events straight
 * to JetStream (the same bus call, no outbox): the lag of the bus alone.
 *
 *   npx tsx bench/outbox/relay-lag.ts [--seconds 2] [--rates 1000,5000,10000] [--batch 100]
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
 *   NATS_URL (default nats://127.0.0.1:4222); a scratch database is created
 *   and dropped, and the run's events are purged from the stream afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { Registry } from 'prom-client';
import type { Bus, BusPayload } from '../../packages/server/src/platform/bus/bus.js';
import { EVENT_STREAM, openNatsBus } from '../../packages/server/src/platform/bus/nats-bus.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { enqueueEvents, isEventEnvelope } from '../../packages/server/src/platform/outbox/outbox.js';
import { OutboxRelay } from '../../packages/server/src/platform/outbox/outbox-relay.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { withScratchPostgres } from '../support/scratch-postgres.js';
import { writeChart } from '../support/svg-chart.js';
import { round, summarize } from '../wire/stats.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rates: { type: 'string', default: '1000,5000,10000' },
    batch: { type: 'string', default: '100' },
  },
});
const SECONDS = Number(args.seconds);
const RATES = args.rates.split(',').map(Number);
const BATCH = Number(args.batch);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
/** Events spread over this many chats, one subject each, as sends are. */
const CHATS = 100;
/**
 * Batches being written at once: when the database falls behind the
 * schedule, writers wait instead of timing out, and the rate they reached
 * is reported.
 */
const WRITERS = 8;
/** How long stragglers may take after the last batch before they count as lost. */
const DRAIN_MS = 10_000;
const TEXT = 'a message of ordinary length, about as long as most chat messages are';

type Path = 'direct' | 'outbox';

interface Result {
  readonly path: Path;
  readonly rate: number;
  /** What the writers reached: below `rate` when the database or bus fell behind. */
  readonly achievedRate: number;
  readonly events: number;
  readonly received: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time of this process (writers, relay, subscriber) per event: steadier than lag on a shared host. */
  readonly cpuUsPerEvent: number;
  /** Relay passes per committed transaction (outbox only). */
  readonly passesPerCommit?: number;
  readonly p99VsDirect?: number;
}

/** Where an event came from, carried in its payload so the subscriber can time it. */
interface Stamp {
  readonly batch: number;
}

/**
 * Offers `rate` events per second for `SECONDS`, `BATCH` at a time, without
 * waiting for earlier batches (an open loop, as independent senders are).
 * `emit` resolves at the moment the batch's events exist (commit, or the
 * publish call); the subscriber's receive times are matched against it.
 */
async function offer(
  bus: Bus,
  subjectBase: string,
  rate: number,
  emit: (batch: number, events: { subject: string; payload: BusPayload }[]) => Promise<number>,
) {
  const born: number[] = [];
  const arrivals: { readonly batch: number; readonly at: number }[] = [];
  const unsubscribe = bus.subscribe(`${subjectBase}.>`, (payload) => {
    const at = performance.now();
    const body = (isEventEnvelope(payload) ? payload.body : payload) as unknown as Stamp;
    arrivals.push({ batch: body.batch, at });
  });
  const batches = Math.round((rate * SECONDS) / BATCH);
  const pending = new Set<Promise<void>>();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let batch = 0; batch < batches; batch++) {
    const due = started + (batch * BATCH * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (pending.size >= WRITERS) await Promise.race(pending);
    const events = Array.from({ length: BATCH }, (_, index) => ({
      subject: `${subjectBase}.chat.${(batch * BATCH + index) % CHATS}`,
      payload: { batch, index, text: TEXT },
    }));
    const written: Promise<void> = emit(batch, events).then((at) => {
      born[batch] = at;
      pending.delete(written);
    });
    pending.add(written);
  }
  await Promise.all(pending);
  const achievedRate = Math.round((batches * BATCH * 1000) / (performance.now() - started));
  const expected = batches * BATCH;
  const deadline = performance.now() + DRAIN_MS;
  while (arrivals.length < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  unsubscribe();
  const used = process.cpuUsage(cpu);
  const cpuUsPerEvent = round((used.user + used.system) / expected, 1);
  // The relay may publish before the writer hears its commit acknowledged.
  const lags = arrivals.map((arrival) => Math.max(0, arrival.at - born[arrival.batch]!));
  const { p50Ms, p99Ms } = summarize(lags, SECONDS);
  return { achievedRate, events: expected, received: arrivals.length, p50Ms, p99Ms, maxMs: round(lags.at(-1) ?? Number.NaN), cpuUsPerEvent };
}

async function measureDirect(bus: Bus, run: string, rate: number) {
  return offer(bus, `kaif.ev.bench.${run}.direct.${rate}`, rate, async (_batch, events) => {
    const at = performance.now();
    const { error } = await bus.publishDurableBatch(events.map((event) => ({ ...event, id: randomUUID() })));
    if (error) throw error;
    return at;
  });
}

async function measureOutbox(db: Database, bus: Bus, run: string, rate: number) {
  const registry = new Registry();
  const relay = new OutboxRelay(db, bus, createLogger('warn'), registry);
  await relay.start();
  try {
    const passes = async () => (await registry.getSingleMetric('kaif_outbox_relay_passes_total')!.get()).values[0]?.value ?? 0;
    const passesBefore = await passes();
    const kysely = db.kysely<unknown>();
    const figures = await offer(bus, `kaif.ev.bench.${run}.outbox.${rate}`, rate, async (_batch, events) => {
      await kysely.transaction().execute((trx) => enqueueEvents(trx, events));
      const at = performance.now();
      // What the module does after a commit with events (`outboxCommitted`).
      relay.nudge();
      return at;
    });
    const commits = Math.round((rate * SECONDS) / BATCH);
    return { ...figures, passesPerCommit: round(((await passes()) - passesBefore) / commits) };
  } finally {
    await relay.stop();
  }
}

async function main(): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const logger = createLogger('warn');
  const registry = new Registry();
  const policy = (name: string) => createDependencyPolicy(name, { logger, registry });
  const results: Result[] = [];
  await withScratchPostgres(DATABASE_URL, async (url) => {
    // One connection per writer, plus the relay's and its LISTEN.
    const db = await openPostgresDatabase({ url, poolSize: WRITERS + 2, policy: policy('postgres'), logger, registry });
    const bus = await openNatsBus(NATS_URL, { policy: policy('nats'), logger });
    try {
      await db.migrate([platformMigrations]);
      // Warm-up, not recorded: JIT, connections, the stream's first writes.
      await measureOutbox(db, bus, `${run}-warm`, RATES[0]!);
      for (const rate of RATES) {
        const direct = await measureDirect(bus, run, rate);
        const outbox = await measureOutbox(db, bus, run, rate);
        results.push({ path: 'direct', rate, ...direct });
        results.push({ path: 'outbox', rate, ...outbox, p99VsDirect: round(outbox.p99Ms / direct.p99Ms) });
      }
    } finally {
      await bus.close();
      await db.close();
      await purgeRun(run);
    }
  });

  console.log(
    [
      `| path | events/s offered | reached | received | p50 ms | p99 ms | max ms | CPU µs/event | relay passes per commit | p99 vs direct |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
      ...results.map(
        (r) =>
          `| ${r.path === 'direct' ? 'direct to JetStream (baseline)' : 'outbox → relay → JetStream'} | ${r.rate.toLocaleString('en-US')} | ${r.achievedRate.toLocaleString('en-US')} | ${r.received}/${r.events} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.cpuUsPerEvent} | ${r.passesPerCommit ?? '—'} | ${r.p99VsDirect === undefined ? '—' : `${r.p99VsDirect}×`} |`,
      ),
    ].join('\n'),
  );
  const out = join(import.meta.dirname, '..', 'results', 'outbox-relay-lag');
  await mkdir(join(import.meta.dirname, '..', 'results'), { recursive: true });
  await writeFile(
    `${out}.json`,
    `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, batch: BATCH, chats: CHATS, results }, null, 2)}\n`,
  );
  const series = (path: Path, quantile: 'p50Ms' | 'p99Ms', name: string) => ({
    name,
    points: results.filter((r) => r.path === path).map((r) => ({ x: r.rate, y: r[quantile] })),
  });
  await writeChart(`${out}.svg`, {
    title: 'Commit → subscriber lag through the outbox relay',
    xLabel: 'events per second (transactions of 100)',
    yLabel: 'lag, ms',
    series: [
      series('outbox', 'p50Ms', 'outbox p50'),
      series('outbox', 'p99Ms', 'outbox p99'),
      series('direct', 'p50Ms', 'direct p50'),
      series('direct', 'p99Ms', 'direct p99'),
    ],
  });
  console.log(`\nwrote ${out}.json and ${out}.svg`);
}

/** The run's events would otherwise stay in the shared stream for its max age. */
async function purgeRun(run: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    // A filtered purge walks the stream, which takes a while on a busy host.
    const jsm = await nc.jetstreamManager({ timeout: 60_000 });
    for (const suffix of [run, `${run}-warm`]) await jsm.streams.purge(EVENT_STREAM, { filter: `kaif.ev.bench.${suffix}.>` });
  } catch (error) {
    console.warn(`could not purge kaif.ev.bench.${run}*.> from ${EVENT_STREAM}: ${(error as Error).message}`);
  } finally {
    await nc.close();
  }
}

await main();

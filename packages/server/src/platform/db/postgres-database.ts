import { type Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Gauge, Registry } from 'prom-client';
import { Gauge as GaugeMetric } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import type { CheckResult } from '../health/health.js';
import type { DependencyPolicy } from '../resilience/dependency-policy.js';
import type { Database, ModuleMigrations } from './database.js';
import { migrateModules } from './migrate.js';
import { ResilientDialect } from './resilient-dialect.js';
import { guardedKysely } from './transaction-guard.js';

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly policy: DependencyPolicy;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Server-side limit for one statement, so an abandoned query does not run on. */
  readonly statementTimeoutMs?: number;
  /** Checkouts that may wait for a connection; more are refused at once (default: 8 per pooled connection). */
  readonly maxWaiting?: number;
}

// bigint (int8) columns are counters and sequence numbers that fit in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Most transactions here take a few milliseconds, so eight waiters per
 * connection wait at most some tens of milliseconds; beyond that a request
 * is better refused with a retry hint than left to time out.
 */
const WAITING_PER_CONNECTION = 8;

/** PostgreSQL for the scale-out shape: a pool, every query behind the policy. */
export async function openPostgresDatabase(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: 'kaif',
  });
  // An idle client whose server went away emits here; without a listener the
  // process would crash. The pool replaces it on the next checkout.
  pool.on('error', (error) => options.logger.warn({ err: error.message }, 'postgres idle connection lost'));
  // A checked-out client whose connection dies emits 'error' too; unheard,
  // that would be an uncaught exception. The query in flight fails on its
  // own, and the pool discards the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.logger.warn({ err: error.message }, 'postgres connection lost'));
  });
  const backends = trackBackends(pool);
  registerPoolMetrics(pool, options.registry);
  const maxWaiting = options.maxWaiting ?? options.poolSize * WAITING_PER_CONNECTION;
  const kysely = guardedKysely(new ResilientDialect(new PostgresDialect({ pool }), options.policy, () => pool.waitingCount >= maxWaiting));
  return {
    kind: 'postgres',
    name: 'database',
    essential: true,
    kysely: <Tables>() => kysely as unknown as Kysely<Tables>,
    migrate: (modules: readonly ModuleMigrations[]) => migrateModules(kysely, modules),
    async check(): Promise<CheckResult> {
      await sql`select 1`.execute(kysely);
      return { status: 'up', detail: `postgres pool ${pool.totalCount - pool.idleCount}/${options.poolSize} busy` };
    },
    async listen(channel, onNotify) {
      return listenWithReconnect(pool, channel, (processId) => onNotify({ local: backends.has(processId) }), options.logger);
    },
    async close() {
      await kysely.destroy();
    },
  };
}

function registerPoolMetrics(pool: pg.Pool, registry: Registry): void {
  const gauge: Gauge<'state'> = new GaugeMetric({
    name: 'kaif_db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      gauge.set({ state: 'total' }, pool.totalCount);
      gauge.set({ state: 'idle' }, pool.idleCount);
      gauge.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}

/**
 * The server process ids of the pool's connections, which a notification
 * names as its sender. pg reads a connection's id from the server's
 * BackendKeyData while connecting, before the pool announces it.
 */
function trackBackends(pool: pg.Pool): ReadonlySet<number> {
  const backends = new Set<number>();
  const processId = (client: pg.PoolClient) => (client as unknown as { processID: number | null }).processID;
  pool.on('connect', (client) => {
    const id = processId(client);
    if (id !== null) backends.add(id);
  });
  pool.on('remove', (client) => {
    const id = processId(client);
    if (id !== null) backends.delete(id);
  });
  return backends;
}

/**
 * LISTEN holds one pooled connection. When it drops (the server restarted or
 * killed it), it is re-established after a pause; notifications missed
 * meanwhile are covered by the listener's own polling.
 */
async function listenWithReconnect(
  pool: pg.Pool,
  channel: string,
  onNotify: (senderProcessId: number) => void,
  logger: Logger,
): Promise<() => Promise<void>> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const onNotification = (message: pg.Notification) => {
    if (message.channel === channel) onNotify(message.processId);
  };
  // The listening client never goes back to the pool (released with
  // destroy), so these listeners never fire for another checkout.
  const drop = (listening: pg.PoolClient) => {
    listening.removeListener('notification', onNotification);
    listening.removeListener('error', onError);
    listening.release(true);
    if (client === listening) client = undefined;
  };
  const onError = () => {
    if (client) drop(client);
    if (!stopped) retry = setTimeout(() => void attach(), 1000);
  };
  const attach = async () => {
    try {
      const next = await pool.connect();
      next.on('notification', onNotification);
      next.on('error', onError);
      client = next;
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      logger.warn({ err: (error as Error).message, channel }, 'postgres listen failed; retrying');
      if (client) drop(client);
      if (!stopped) retry = setTimeout(() => void attach(), 1000);
    }
  };
  await attach();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    if (client) drop(client);
  };
}

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import { ConfigError } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { NodeTables } from './node-tables.js';

/** How often a node marks itself alive. */
export const HEARTBEAT_MS = 5000;
/** A node silent this long (three missed beats) has crashed or lost the database: it no longer counts. */
export const NODE_EXPIRES_MS = 3 * HEARTBEAT_MS;
/** Arbitrary but fixed: nodes starting together check and join one at a time. */
const JOIN_LOCK_ID = 7_311_246;

export interface NodeShape {
  readonly roles: readonly string[];
  /** True when the node's bus reaches the other nodes (NATS), false for the in-process bus. */
  readonly sharedBus: boolean;
  /** True when its key-value store is shared (Redis), false for the in-process one. */
  readonly sharedStore: boolean;
}

export interface NodeMembership {
  readonly id: string;
  /** Stops the heartbeat and removes the node's row, so a restart need not wait for it to expire. */
  leave(): Promise<void>;
}

interface LiveNode {
  readonly id: string;
  readonly roles: string[];
  readonly shared_bus: boolean;
  readonly shared_store: boolean;
  readonly host: string;
  readonly pid: number;
  readonly seconds_ago: number;
}

/**
 * Registers this process in `platform.nodes` and keeps its row fresh. Nodes
 * sharing a database must share a bus and a store: with in-process ones, a
 * logout on one node would not close the user's sockets on another, its
 * revoked tokens would stay live in the other's session cache, and live
 * events and presence would reach only the node that produced them. So
 * joining is refused with a ConfigError when a node without both would run
 * beside any other live node. Times come from the database's clock, so the
 * nodes' clocks may differ. The check and the insert run under one
 * transaction lock, so two nodes starting together cannot both pass it.
 */
export async function joinNodes(database: Database, shape: NodeShape, logger: Logger): Promise<NodeMembership> {
  const db = database.kysely<NodeTables>();
  const id = randomUUID();
  const row = {
    id,
    roles: [...shape.roles],
    shared_bus: shape.sharedBus,
    shared_store: shape.sharedStore,
    host: hostname(),
    pid: process.pid,
  };
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${JOIN_LOCK_ID})`.execute(trx);
    await trx.deleteFrom('platform.nodes').where('last_seen', '<', expiredBefore()).execute();
    const live = await trx
      .selectFrom('platform.nodes')
      .select(['id', 'roles', 'shared_bus', 'shared_store', 'host', 'pid', sql<number>`extract(epoch from now() - last_seen)::int`.as('seconds_ago')])
      .execute();
    const conflict = live.find((other) => !shape.sharedBus || !shape.sharedStore || !other.shared_bus || !other.shared_store);
    if (conflict) throw new ConfigError([refusal(shape, conflict)]);
    await trx.insertInto('platform.nodes').values({ ...row, last_seen: sql<Date>`now()` }).execute();
  });

  let beat: Promise<void> | undefined;
  const timer = setInterval(() => {
    beat ??= heartbeat(db, row)
      .catch((error: unknown) => logger.warn({ err: (error as Error).message, nodeId: id }, 'node heartbeat failed'))
      .finally(() => {
        beat = undefined;
      });
  }, HEARTBEAT_MS);
  timer.unref();
  logger.info({ nodeId: id, sharedBus: shape.sharedBus, sharedStore: shape.sharedStore }, 'node registered');

  return {
    id,
    async leave() {
      clearInterval(timer);
      await beat;
      await db.deleteFrom('platform.nodes').where('id', '=', id).execute();
    },
  };
}

/** Re-inserts the row if it expired meanwhile (after a long database outage). */
async function heartbeat(db: Kysely<NodeTables>, row: Omit<NodeTables['platform.nodes'], 'last_seen' | 'started_at'>): Promise<void> {
  await db
    .insertInto('platform.nodes')
    .values({ ...row, last_seen: sql<Date>`now()` })
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ last_seen: sql<Date>`now()` }))
    .execute();
}

const expiredBefore = () => sql<Date>`now() - make_interval(secs => ${NODE_EXPIRES_MS / 1000})`;

/** The variables a node lacks to share its bus and store. */
function lacking(sharedBus: boolean, sharedStore: boolean): string[] {
  return [...(sharedBus ? [] : ['NATS_URL']), ...(sharedStore ? [] : ['REDIS_URL'])];
}

function refusal(shape: NodeShape, other: LiveNode): string {
  const who = `node ${other.id} (${other.host}, pid ${other.pid}, roles ${other.roles.join(',')}, seen ${other.seconds_ago} s ago)`;
  const ours = lacking(shape.sharedBus, shape.sharedStore);
  const theirs = lacking(other.shared_bus, other.shared_store);
  const why =
    ours.length > 0
      ? `${who} runs on this database and this node has no ${ours.join(' or ')}`
      : `${who} runs on this database without ${theirs.join(' or ')}`;
  const names = ours.length > 0 ? ours : theirs;
  return `CONFIG ERROR: ${names.join(' and ')} must be set on every node sharing a database: ${why}. Without a shared bus and store, logouts, revocations and live events would not reach the other node. A node that stopped without shutting down is forgotten after ${NODE_EXPIRES_MS / 1000} s.`;
}

import { sql } from 'kysely';

/**
 * A relay that trails rewrites the shared state on every pass, many times a
 * second; a state older than this was left by a relay that stopped (its
 * process ended, or none runs), and counts as not behind: with no relay,
 * sends are kept for later as in a bus outage, not refused until one comes.
 */
const FRESH_SECONDS = 5;

/**
 * How long the oldest event the cluster's relay left behind has waited, in
 * ms, from `platform.outbox_relay_state`; null when nothing waits, or the
 * state is stale. A scalar subquery: joined as a table, its row count is
 * unknown to the planner until an ANALYZE, and the estimate it makes passes
 * the JIT threshold — 10 ms of compiling per relay pass.
 */
export const sharedBehindMs = sql<number | null>`(
  select extract(epoch from clock_timestamp() - behind_since) * 1000
  from platform.outbox_relay_state
  where clock_timestamp() - shared_at < make_interval(secs => ${FRESH_SECONDS})
)`;

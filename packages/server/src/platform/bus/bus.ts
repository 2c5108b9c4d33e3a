import type { HealthCheck } from '../health/health.js';

export type BusKind = 'memory' | 'nats';

/** A JSON value: everything on the bus crosses a process boundary. */
export type BusPayload = null | boolean | number | string | readonly BusPayload[] | { readonly [key: string]: BusPayload };

export type BusHandler = (payload: BusPayload, subject: string) => void;
export type DurableHandler = (payload: BusPayload, subject: string) => Promise<void>;
export type Unsubscribe = () => void;

/**
 * Subjects are dot-separated tokens. `kaif.ev.>` is the durable event stream
 * (the outbox relays into it); `kaif.live.>` is live-only (typing, presence).
 * Subscriptions accept `*` (one token) and `>` (the rest), as in NATS.
 */
export const DURABLE_PREFIX = 'kaif.ev.';
export const LIVE_PREFIX = 'kaif.live.';

/**
 * Live fan-out between nodes and a durable event stream.
 *
 * Guarantees:
 * - `publish` / `subscribe`: at most once, ordered per subject from one
 *   publisher; a node that is not subscribed receives nothing.
 * - `publishDurable`: resolves once the stream stored the event; the same
 *   `id` within the duplicate window is stored once. Durable events are also
 *   delivered to live subscribers of their subject.
 * - `consume`: a named consumer gets every durable event matching its filter
 *   at least once, in stream order; an event is acknowledged when the handler
 *   resolves and redelivered when it throws. Handlers must be idempotent.
 *
 * The memory bus serializes every payload, like the network ones, and is
 * single-node only: its stream lives as long as the process.
 */
export interface Bus extends HealthCheck {
  readonly kind: BusKind;
  publish(subject: string, payload: BusPayload): void;
  subscribe(subject: string, handler: BusHandler): Unsubscribe;
  publishDurable(subject: string, id: string, payload: BusPayload): Promise<void>;
  consume(consumer: string, filterSubject: string, handler: DurableHandler): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** NATS-style subject matching for `*` and `>` wildcards. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let index = 0; index < want.length; index++) {
    const token = want[index];
    if (token === '>') return have.length > index;
    if (index >= have.length) return false;
    if (token !== '*' && token !== have[index]) return false;
  }
  return want.length === have.length;
}

import type { HealthCheck } from '../health/health.js';

export type BusKind = 'memory' | 'nats';

/** A JSON value: everything on the bus crosses a process boundary. */
export type BusPayload = null | boolean | number | string | readonly BusPayload[] | { readonly [key: string]: BusPayload };

export type BusHandler = (payload: BusPayload, subject: string) => void;
export type DurableHandler = (payload: BusPayload, subject: string) => Promise<void>;
export type Unsubscribe = () => void;

/** How a named consumer starts when it does not exist yet. */
export interface ConsumeOptions {
  /**
   * `first` (the default): every event the stream holds. `new`: only events
   * stored from now on — for a consumer that must not act on history, such
   * as notifications when the feature is first switched on.
   */
  readonly startAt?: 'first' | 'new';
  /**
   * A consumer nobody reads for this long is deleted by the bus (NATS
   * `inactive_threshold`) and starts over by `startAt` when next opened, so
   * consumers of deployments that are gone do not pile up on a shared
   * server. Unset: kept for good.
   */
  readonly forgetAfterMs?: number;
}

/**
 * One event of a `publishDurableBatch`: its payload, or that payload
 * already serialized as JSON, which the bus passes on as it is. The outbox
 * relay reads its rows' payloads as text: parsing them only for the bus to
 * serialize them again cost the in-process bus a JSON parse and a
 * stringify per event.
 */
export type DurableEvent = {
  readonly subject: string;
  /** The same id within the duplicate window is stored once. */
  readonly id: string;
} & ({ readonly payload: BusPayload } | { readonly json: string });

/** A durable event's payload as JSON text. */
export const durableJson = (event: DurableEvent): string => ('json' in event ? event.json : JSON.stringify(event.payload));

/** How far a durable batch got: its events `[0, stored)` are in the stream. */
export interface DurableBatchResult {
  readonly stored: number;
  /** Why event `stored` was not acknowledged; absent when every event was. */
  readonly error?: Error;
}

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
 * - `publishDurableBatch`: `publishDurable` for every event, all in flight
 *   at once, stored in list order (so in order per subject). It never
 *   rejects: it resolves with how many events, counted from the first, the
 *   stream acknowledged. After a failure the later events may or may not be
 *   stored, so the caller republishes from the first one not counted, in
 *   order; their ids make the repeats harmless.
 * - `consume`: a named consumer gets every durable event matching its filter
 *   at least once, in stream order (from the first stored, or with
 *   `startAt: 'new'` from those stored after it was created); an event is
 *   acknowledged after the handler resolves (on NATS in small batches), and
 *   when the handler throws it is tried again, before any later event, until
 *   it succeeds. A reader that stops or dies leaves what it has not
 *   acknowledged to the next one. Handlers must be idempotent.
 *
 * The memory bus serializes every payload, like the network ones, and is
 * single-node only: its stream holds what a consumer has yet to read plus
 * the last 10,000 events (at most 1,000,000; see MemoryStream), for as long
 * as the process lives.
 */
export interface Bus extends HealthCheck {
  readonly kind: BusKind;
  publish(subject: string, payload: BusPayload): void;
  subscribe(subject: string, handler: BusHandler): Unsubscribe;
  publishDurable(subject: string, id: string, payload: BusPayload): Promise<void>;
  publishDurableBatch(events: readonly DurableEvent[]): Promise<DurableBatchResult>;
  consume(consumer: string, filterSubject: string, handler: DurableHandler, options?: ConsumeOptions): Promise<Unsubscribe>;
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

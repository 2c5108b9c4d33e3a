import { AsyncResource } from 'node:async_hooks';
import type { CheckResult } from '../health/health.js';
import { type Bus, type BusHandler, type BusPayload, type DurableEvent, type DurableHandler, durableJson, subjectMatches } from './bus.js';
import { MemoryStream, type StreamRetention } from './memory-stream.js';
import { SubjectIndex } from './subject-index.js';

interface StoredEvent {
  readonly subject: string;
  readonly id: string;
  readonly body: string;
}

interface Subscription {
  readonly handler: BusHandler;
}

const DUPLICATE_WINDOW = 100_000;
const REDELIVERY_DELAY_MS = 200;
const RETENTION: StreamRetention = { keepRecent: 10_000, maxRetained: 1_000_000 };

/** The memory bus, and how many durable events it holds in memory. */
export interface MemoryBus extends Bus {
  readonly retainedEvents: () => number;
}

/**
 * In-process bus for the one-process shape. Payloads are serialized to JSON
 * and delivered on a later tick, as a network bus would. Single-node only.
 *
 * Handlers run in the bus's own async context, not the publisher's, as they
 * would behind a network: an event published from inside a database
 * transaction (the outbox relay does) must not make its subscribers' work
 * look like part of that transaction (see platform/db/transaction-guard.ts).
 */
export function createMemoryBus(retention: StreamRetention = RETENTION): MemoryBus {
  const own = new AsyncResource('kaif.memory-bus');
  const subscriptions = new SubjectIndex<Subscription>();
  const stream = new MemoryStream<StoredEvent>(retention);
  const seenIds = new Set<string>();
  const wakeConsumers = new Set<() => void>();
  let closed = false;

  const store = (event: DurableEvent) => {
    if (closed) throw new Error('bus is closed');
    const { subject, id } = event;
    if (seenIds.has(id)) return;
    seenIds.add(id);
    if (seenIds.size > DUPLICATE_WINDOW) seenIds.delete(seenIds.values().next().value as string);
    const body = durableJson(event);
    stream.append({ subject, id, body });
    deliver(subject, body);
    own.runInAsyncScope(() => {
      for (const wake of wakeConsumers) wake();
    });
  };

  const deliver = (subject: string, body: string) => {
    const targets = subscriptions.match(subject);
    if (targets.length === 0) return;
    own.runInAsyncScope(() =>
      setImmediate(() => {
        for (const target of targets) target.handler(JSON.parse(body) as BusPayload, subject);
      }),
    );
  };

  return {
    kind: 'memory',
    retainedEvents: () => stream.retained,
    name: 'bus',
    essential: false,
    async check(): Promise<CheckResult> {
      return { status: 'up', detail: 'in-process' };
    },
    publish(subject, payload) {
      if (!closed) deliver(subject, JSON.stringify(payload));
    },
    subscribe(pattern, handler) {
      const subscription: Subscription = { handler };
      subscriptions.add(pattern, subscription);
      return () => subscriptions.remove(pattern, subscription);
    },
    async publishDurable(subject, id, payload) {
      store({ subject, id, payload });
    },
    async publishDurableBatch(events) {
      for (const [index, event] of events.entries()) {
        try {
          store(event);
        } catch (error) {
          return { stored: index, error: error as Error };
        }
      }
      return { stored: events.length };
    },
    async consume(_consumer, filterSubject, handler: DurableHandler, options = {}) {
      const reader = stream.open(options.startAt ?? 'first');
      let running = false;
      let stopped = false;
      const pump = async () => {
        if (running || stopped) return;
        running = true;
        try {
          for (let event = stream.next(reader); event && !stopped; event = stream.next(reader)) {
            if (subjectMatches(filterSubject, event.subject)) {
              try {
                await handler(JSON.parse(event.body) as BusPayload, event.subject);
              } catch {
                setTimeout(() => void pump(), REDELIVERY_DELAY_MS).unref();
                return;
              }
            }
            stream.advance(reader);
          }
        } finally {
          running = false;
        }
      };
      const wake = () => void pump();
      wakeConsumers.add(wake);
      void pump();
      return () => {
        stopped = true;
        wakeConsumers.delete(wake);
        stream.close(reader);
      };
    },
    async close() {
      closed = true;
      subscriptions.clear();
      wakeConsumers.clear();
    },
  };
}

import {
  JSONCodec,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
} from 'nats';
import type { Logger } from '../logging/logger.js';
import type { CheckResult } from '../health/health.js';
import type { DependencyPolicy } from '../resilience/dependency-policy.js';
import { type Bus, type BusPayload, DURABLE_PREFIX, type DurableHandler, type Unsubscribe } from './bus.js';
import { createJetStreamBatchPublisher } from './jetstream-batch.js';
import { consumeInOrder } from './jetstream-consumer.js';

export const EVENT_STREAM = 'KAIF_EVENTS';
const STREAM_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
const REDELIVER_AFTER_MS = 5000;
const PUBLISH_ACK_TIMEOUT_MS = 3000;

const codec = JSONCodec<BusPayload>();

/**
 * NATS core subjects for live fan-out and a JetStream stream (`KAIF_EVENTS`,
 * file storage, 7 days) for durable events. The client reconnects forever;
 * while NATS is away, live publishes are dropped (at most once) and durable
 * ones fail, so the outbox keeps them until NATS returns.
 */
export async function openNatsBus(
  url: string,
  deps: { readonly policy: DependencyPolicy; readonly logger: Logger; readonly streamName?: string },
): Promise<Bus> {
  const streamName = deps.streamName ?? EVENT_STREAM;
  const nc: NatsConnection = await deps.policy.execute(
    () => connect({ servers: url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, name: 'kaif' }),
    { idempotent: true },
  );
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        deps.logger.warn({ nats: status.type }, `nats ${status.type}`);
      }
    }
  })();

  const jsm = await nc.jetstreamManager();
  const streamConfig = {
    name: streamName,
    subjects: [`${DURABLE_PREFIX}>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(STREAM_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  await jsm.streams.add(streamConfig).catch(async () => jsm.streams.update(streamName, streamConfig));
  const js = nc.jetstream();
  const publishBatch = createJetStreamBatchPublisher(nc, PUBLISH_ACK_TIMEOUT_MS);

  return {
    kind: 'nats',
    name: 'bus',
    essential: false,
    async check(): Promise<CheckResult> {
      if (nc.isClosed()) return { status: 'down', detail: 'connection closed' };
      await deps.policy.execute(() => nc.flush(), { idempotent: true });
      return { status: 'up', detail: 'nats jetstream' };
    },
    publish(subject, payload) {
      // Core NATS publish never throws for a lost connection; while
      // reconnecting it buffers a little, then drops. Live events are
      // at-most-once by contract.
      try {
        nc.publish(subject, codec.encode(payload));
      } catch (error) {
        deps.logger.debug({ err: (error as Error).message, subject }, 'live publish dropped');
      }
    },
    subscribe(subject, handler) {
      const subscription = nc.subscribe(subject, {
        callback: (error, message) => {
          if (!error) handler(codec.decode(message.data), message.subject);
        },
      });
      return () => subscription.unsubscribe();
    },
    async publishDurable(subject, id, payload) {
      await deps.policy.execute(
        () => js.publish(subject, codec.encode(payload), { msgID: id, timeout: PUBLISH_ACK_TIMEOUT_MS }),
        { idempotent: true },
      );
    },
    async publishDurableBatch(events) {
      let stored = 0;
      try {
        // Each attempt (the policy retries) resumes at the first event not
        // acknowledged yet.
        await deps.policy.execute(
          async () => {
            const from = stored;
            const outcomes = await publishBatch(events.slice(from));
            const failed = outcomes.findIndex((outcome) => outcome !== undefined);
            // An attempt the policy already abandoned may still finish: what
            // it saw acknowledged is stored all the same.
            stored = Math.max(stored, from + (failed === -1 ? outcomes.length : failed));
            if (failed !== -1) throw outcomes[failed];
          },
          { idempotent: true },
        );
        return { stored };
      } catch (error) {
        return { stored, error: error as Error };
      }
    },
    consume(consumer, filterSubject, handler: DurableHandler, options = {}): Promise<Unsubscribe> {
      const settings = { streamName, ackWaitMs: REDELIVER_AFTER_MS, retryAfterMs: REDELIVER_AFTER_MS / 5, logger: deps.logger };
      return consumeInOrder(jsm, js, settings, consumer, filterSubject, handler, options);
    },
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}

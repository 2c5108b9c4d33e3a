import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg, JSONCodec, nanos } from 'nats';
import type { Logger } from '../logging/logger.js';
import type { BusPayload, ConsumeOptions, DurableHandler, Unsubscribe } from './bus.js';

/** Events delivered ahead of the one being handled: the reader never waits for the server between two events. */
const MAX_ACK_PENDING = 256;
/** Handled events are acknowledged together: after this many, or this long after the first of them. */
const ACK_BATCH = 64;
const ACK_AFTER_MS = 20;

const codec = JSONCodec<BusPayload>();

export interface JetStreamConsumerSettings {
  readonly streamName: string;
  /** Unacknowledged events go back to a reader after this long (a reader that died). */
  readonly ackWaitMs: number;
  /** A failed handler is tried again on the same event after this long. */
  readonly retryAfterMs: number;
  readonly logger: Logger;
}

/**
 * A durable JetStream consumer read in stream order, the bus's `consume`.
 * Up to MAX_ACK_PENDING events are delivered ahead of the one being
 * handled, and the handled ones are acknowledged in batches (one write to
 * NATS per batch): with one event in flight and one acknowledgement each,
 * the push consumer's acks were most of a node's writes to NATS under load
 * (a CPU profile at ten times the sustainable send rate: 30 % of the
 * process in socket writes). A handler that throws is tried again on the
 * same event, after what was handled before it is acknowledged, until it
 * succeeds or the reader stops — the memory bus's behaviour — so one failing
 * event never lets later ones overtake it. A reader that dies leaves its
 * unacknowledged events to be delivered again after `ackWaitMs`; handlers
 * are idempotent.
 */
export async function consumeInOrder(
  jsm: JetStreamManager,
  js: JetStreamClient,
  settings: JetStreamConsumerSettings,
  consumer: string,
  filterSubject: string,
  handler: DurableHandler,
  options: ConsumeOptions,
): Promise<Unsubscribe> {
  const { streamName, logger } = settings;
  await jsm.consumers
    .add(streamName, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ...(options.forgetAfterMs === undefined ? {} : { inactive_threshold: nanos(options.forgetAfterMs) }),
      filter_subject: filterSubject,
      ack_wait: nanos(settings.ackWaitMs),
      max_ack_pending: MAX_ACK_PENDING,
    })
    // It exists: one made by an earlier version read one event at a time.
    .catch(() => jsm.consumers.update(streamName, consumer, { max_ack_pending: MAX_ACK_PENDING }))
    .catch((error: unknown) => logger.debug({ err: (error as Error).message, consumer }, 'durable consumer kept as it was'));
  const messages = await (await js.consumers.get(streamName, consumer)).consume({ max_messages: MAX_ACK_PENDING });
  const acks = new AckBatch();
  let stopped = false;

  /** True once the handler succeeded; false if the reader stopped first (the event stays unacknowledged). */
  const handle = async (message: JsMsg): Promise<boolean> => {
    for (;;) {
      try {
        await handler(codec.decode(message.data), message.subject);
        return true;
      } catch (error) {
        logger.warn({ err: (error as Error).message, consumer }, 'durable consumer failed; will try the event again');
        acks.flush();
        if (stopped) return false;
        message.working();
        await new Promise((resolve) => setTimeout(resolve, settings.retryAfterMs));
        if (stopped) return false;
      }
    }
  };

  void (async () => {
    for await (const message of messages) {
      if (!(await handle(message))) break;
      acks.add(message);
    }
    acks.flush();
  })();
  return () => {
    stopped = true;
    acks.flush();
    void messages.close();
  };
}

/** Handled events waiting to be acknowledged together. */
class AckBatch {
  private handled: JsMsg[] = [];
  private timer: NodeJS.Timeout | undefined;

  add(message: JsMsg): void {
    this.handled.push(message);
    if (this.handled.length >= ACK_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), ACK_AFTER_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const handled = this.handled;
    this.handled = [];
    for (const message of handled) message.ack();
  }
}

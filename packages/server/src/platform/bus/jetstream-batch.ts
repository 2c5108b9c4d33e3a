import { JSONCodec, type Msg, type NatsConnection, createInbox, headers } from 'nats';
import { type DurableEvent, durableJson } from './bus.js';

/** What JetStream answers a publish with (its `PubAck`, or an API error). */
interface PublishAck {
  readonly error?: { readonly description?: string };
}

const utf8 = new TextEncoder();
const ackCodec = JSONCodec<PublishAck>();

/**
 * Publishes to JetStream with many messages awaiting their ack at once, as
 * the Go client's `PublishAsync` does: each message carries the
 * `Nats-Msg-Id` header and a reply subject under one inbox subscription, and
 * a batch has one timer. A request per message (`js.publish`) would add a
 * promise, a timer and a mux entry per event, about two thirds of the
 * relay's CPU per event.
 *
 * A batch is written to the connection in one synchronous turn, so the
 * server receives it in list order and the stream stores it in that order.
 */
export function createJetStreamBatchPublisher(nc: NatsConnection, ackTimeoutMs: number) {
  const inbox = createInbox();
  const awaiting = new Map<number, (error: Error | undefined) => void>();
  let nextToken = 0;
  nc.subscribe(`${inbox}.*`, {
    callback: (_error, message) => {
      const token = Number(message.subject.slice(inbox.length + 1));
      awaiting.get(token)?.(ackError(message));
    },
  });

  /** Resolves with each event's outcome, in order: undefined when the stream stored it (or had it already). */
  return (events: readonly DurableEvent[]): Promise<readonly (Error | undefined)[]> =>
    new Promise((resolve) => {
      if (events.length === 0) return resolve([]);
      const outcomes: (Error | undefined)[] = new Array(events.length);
      const tokens: number[] = [];
      let unanswered = events.length;
      const finish = () => {
        clearTimeout(timer);
        for (const token of tokens) awaiting.delete(token);
        resolve(outcomes);
      };
      const answer = (index: number, error: Error | undefined) => {
        outcomes[index] = error;
        if (--unanswered === 0) finish();
      };
      const timer = setTimeout(() => {
        const timeout = new Error(`JetStream did not acknowledge within ${ackTimeoutMs} ms`);
        for (const [index, token] of tokens.entries()) if (awaiting.has(token)) outcomes[index] = timeout;
        finish();
      }, ackTimeoutMs);
      for (const [index, event] of events.entries()) {
        const token = nextToken++;
        tokens.push(token);
        awaiting.set(token, (error) => {
          awaiting.delete(token);
          answer(index, error);
        });
        const header = headers();
        header.set('Nats-Msg-Id', event.id);
        try {
          nc.publish(event.subject, utf8.encode(durableJson(event)), { reply: `${inbox}.${token}`, headers: header });
        } catch (error) {
          // A closed connection: nothing from here on was sent.
          for (let rest = index; rest < events.length; rest++) outcomes[rest] = error as Error;
          awaiting.delete(token);
          unanswered -= events.length - index;
          if (unanswered === 0) finish();
          return;
        }
      }
    });
}

function ackError(message: Msg): Error | undefined {
  // No stream listens on the subject: the server answers 503 with no body.
  if (message.data.length === 0) return new Error(`JetStream answered ${message.headers?.code ?? 'nothing'}: no stream for this subject`);
  const ack = ackCodec.decode(message.data);
  return ack.error ? new Error(`JetStream refused the event: ${ack.error.description ?? 'unknown error'}`) : undefined;
}

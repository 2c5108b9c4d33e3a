import { KaifApiError, type KaifClient, type Message } from '@kaif/client/node';

export type SendPath = 'websocket' | 'http';

export interface StreamSender {
  readonly client: KaifClient;
  readonly via: SendPath;
}

export interface SendFailure {
  readonly via: SendPath;
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

export interface StreamReport {
  /** clientMsgId → the stored message id, for every send the server acknowledged. */
  readonly acked: ReadonlyMap<string, string>;
  readonly failures: readonly SendFailure[];
  /** Sends still waiting for an answer when the stream was stopped, by path. */
  readonly unsettled: Readonly<Record<SendPath, number>>;
  /** The longest any settled send took, in ms, by path: a hang shows up here. */
  readonly slowestMs: Readonly<Record<SendPath, number>>;
}

export interface MessageStream {
  /** When each ack arrived (ms since epoch), in order. */
  readonly ackTimes: readonly number[];
  readonly ackedCount: () => number;
  /** Stops sending, waits up to `settleMs` for sends in flight, and reports. */
  stop(settleMs: number): Promise<StreamReport>;
}

/**
 * A steady stream of sends into one chat: each sender fires one message every
 * `intervalMs` without waiting for the previous one, so sends are in flight
 * when a fault hits. WebSocket sends go through the SDK's queue (retried with
 * the same clientMsgId on reconnect); HTTP sends are tried once.
 */
export function startMessageStream(chatId: string, senders: readonly StreamSender[], intervalMs: number): MessageStream {
  const acked = new Map<string, string>();
  const ackTimes: number[] = [];
  const failures: SendFailure[] = [];
  const inFlight = new Map<Promise<void>, SendPath>();
  const slowestMs: Record<SendPath, number> = { websocket: 0, http: 0 };
  let sequence = 0;

  const sendOnce = (sender: StreamSender) => {
    const clientMsgId = globalThis.crypto.randomUUID();
    const text = `${sender.via}-${++sequence}`;
    const startedAt = Date.now();
    const sent: Promise<Message | { id: string }> =
      sender.via === 'websocket'
        ? sender.client.realtime.sendMessage({ chatId, text, clientMsgId })
        : sender.client.messages.send(chatId, { text, clientMsgId });
    const settled = sent.then(
      (message) => {
        acked.set(clientMsgId, message.id);
        ackTimes.push(Date.now());
      },
      (error: unknown) => {
        const known = error instanceof KaifApiError ? error : undefined;
        failures.push({
          via: sender.via,
          code: known?.code ?? 'UNKNOWN',
          status: known?.status ?? 0,
          message: error instanceof Error ? error.message : String(error),
        });
      },
    );
    const tracked = settled.finally(() => {
      slowestMs[sender.via] = Math.max(slowestMs[sender.via], Date.now() - startedAt);
      inFlight.delete(tracked);
    });
    inFlight.set(tracked, sender.via);
  };

  const timers = senders.map((sender, index) => {
    // Staggered so the senders do not fire in lockstep.
    const offset = Math.floor((intervalMs * index) / senders.length);
    let interval: ReturnType<typeof setInterval> | undefined;
    const start = setTimeout(() => {
      sendOnce(sender);
      interval = setInterval(() => sendOnce(sender), intervalMs);
    }, offset);
    return () => {
      clearTimeout(start);
      clearInterval(interval);
    };
  });

  return {
    ackTimes,
    ackedCount: () => acked.size,
    async stop(settleMs) {
      for (const clear of timers) clear();
      const deadline = new Promise((resolve) => setTimeout(resolve, settleMs));
      await Promise.race([Promise.allSettled([...inFlight.keys()]), deadline]);
      const unsettled = { websocket: 0, http: 0 };
      for (const via of inFlight.values()) unsettled[via]++;
      return { acked, failures, unsettled, slowestMs };
    },
  };
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The session layer's and gateway's Prometheus metrics (`kaif_realtime_*`). */
export class RealtimeMetrics {
  readonly connections: Gauge;
  readonly chatSubscriptions: Gauge;
  readonly deliveries: Counter;
  readonly deliveryLatency: Histogram;
  readonly slowConsumersDropped: Counter;
  readonly authFailures: Counter<'reason'>;
  private readonly inByType = new Map<string, FrameCount>();
  private readonly outByType = new Map<string, FrameCount>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({ name: 'kaif_realtime_connections', help: 'Open WebSocket and Socket.IO connections', registers });
    this.chatSubscriptions = new Gauge({
      name: 'kaif_realtime_chat_subscriptions',
      help: 'Chats this node is subscribed to on the bus (one per chat, however many connections)',
      registers,
    });
    countedOnCollect(this.inByType, { name: 'kaif_realtime_frames_received_total', help: 'Client frames by type', registers });
    countedOnCollect(this.outByType, { name: 'kaif_realtime_frames_sent_total', help: 'Server frames by type', registers });
    this.deliveries = new Counter({ name: 'kaif_realtime_deliveries_total', help: 'Chat events written to a client, on any session transport', registers });
    this.deliveryLatency = new Histogram({
      name: 'kaif_realtime_delivery_latency_seconds',
      help: 'From the event happening (its `at`) to the socket write, for live events',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.slowConsumersDropped = new Counter({
      name: 'kaif_realtime_slow_consumers_dropped_total',
      help: 'Connections closed because their send buffer overflowed',
      registers,
    });
    this.authFailures = new Counter({
      name: 'kaif_realtime_auth_failures_total',
      help: 'Sockets closed with 4401, by reason',
      labelNames: ['reason'],
      registers,
    });
  }

  frameIn(type: string): void {
    counted(this.inByType, type).n++;
  }

  frameOut(type: string): void {
    counted(this.outByType, type).n++;
  }
}

/** Frames of one type: counted as a plain number, handed to the Prometheus counter when it is scraped. */
interface FrameCount {
  n: number;
  reported: number;
}

function counted(counts: Map<string, FrameCount>, type: string): FrameCount {
  let count = counts.get(type);
  if (!count) {
    count = { n: 0, reported: 0 };
    counts.set(type, count);
  }
  return count;
}

/**
 * A counter by frame type that takes its values from `counts` at each
 * scrape: every frame in and out counts, and a prom-client increment per
 * frame (label hash, value update) took 4 % of the gateway's thread at ten
 * times its sustainable send rate.
 */
function countedOnCollect(counts: Map<string, FrameCount>, config: { name: string; help: string; registers: Registry[] }): void {
  new Counter({
    ...config,
    labelNames: ['type'],
    collect() {
      for (const [type, count] of counts) {
        if (count.n > count.reported) this.inc({ type }, count.n - count.reported);
        count.reported = count.n;
      }
    },
  });
}

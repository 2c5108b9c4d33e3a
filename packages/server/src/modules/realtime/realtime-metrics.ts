import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The session layer's and gateway's Prometheus metrics (`kaif_realtime_*`). */
export class RealtimeMetrics {
  readonly connections: Gauge;
  readonly chatSubscriptions: Gauge;
  readonly deliveries: Counter;
  readonly deliveryLatency: Histogram;
  readonly slowConsumersDropped: Counter;
  readonly authFailures: Counter<'reason'>;
  private readonly framesIn: Counter<'type'>;
  private readonly framesOut: Counter<'type'>;
  private readonly inByType = new Map<string, Counter.Internal>();
  private readonly outByType = new Map<string, Counter.Internal>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({ name: 'kaif_realtime_connections', help: 'Open WebSocket and Socket.IO connections', registers });
    this.chatSubscriptions = new Gauge({
      name: 'kaif_realtime_chat_subscriptions',
      help: 'Chats this node is subscribed to on the bus (one per chat, however many connections)',
      registers,
    });
    this.framesIn = new Counter({ name: 'kaif_realtime_frames_received_total', help: 'Client frames by type', labelNames: ['type'], registers });
    this.framesOut = new Counter({ name: 'kaif_realtime_frames_sent_total', help: 'Server frames by type', labelNames: ['type'], registers });
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
    cached(this.inByType, this.framesIn, type).inc();
  }

  frameOut(type: string): void {
    cached(this.outByType, this.framesOut, type).inc();
  }
}

/** Label lookups cost a hash per call; a hot path keeps the child. */
function cached(cache: Map<string, Counter.Internal>, counter: Counter<'type'>, type: string): Counter.Internal {
  let child = cache.get(type);
  if (!child) {
    child = counter.labels(type);
    cache.set(type, child);
  }
  return child;
}

import { Counter, Gauge, Histogram, type Registry } from '../../platform/metrics/metrics.js';

export type Transport = 'tcp' | 'udp';

/**
 * `kaif_wire_*` metrics. Label values come from a closed set (transports,
 * validated packet types, error codes), never from what a client sent.
 */
export class WireMetrics {
  /** Open TCP connections; for UDP, source addresses seen within the rate window. */
  readonly connections: Gauge<'transport'>;
  readonly packetsReceived: Counter<'transport' | 'type'>;
  readonly packetsSent: Counter<'transport' | 'type'>;
  readonly errors: Counter<'transport' | 'code'>;
  /** From a SendMessage packet's arrival to its Ack leaving: includes the commit. */
  readonly ackSeconds: Histogram<'transport'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({
      name: 'kaif_wire_connections',
      help: 'Open CosmicProto TCP connections; active UDP source addresses',
      labelNames: ['transport'],
      registers,
    });
    this.packetsReceived = new Counter({
      name: 'kaif_wire_packets_received_total',
      help: 'CosmicProto packets received, by transport and packet type (invalid = did not decode or validate)',
      labelNames: ['transport', 'type'],
      registers,
    });
    this.packetsSent = new Counter({
      name: 'kaif_wire_packets_sent_total',
      help: 'CosmicProto packets sent, by transport and packet type',
      labelNames: ['transport', 'type'],
      registers,
    });
    this.errors = new Counter({
      name: 'kaif_wire_errors_total',
      help: 'CosmicProto errors, by transport and error code',
      labelNames: ['transport', 'code'],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'kaif_wire_ack_duration_seconds',
      help: 'Time from a SendMessage packet to its Ack, commit included',
      labelNames: ['transport'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }
}

import { type Sample, sumOf } from './prometheus.js';

/** The counters the page turns into rates; any may be absent on a given process. */
export interface Counters {
  readonly at: number;
  readonly requests?: number;
  readonly serverErrors?: number;
  readonly messages?: number;
  readonly deliveries?: number;
}

export interface Figures {
  readonly webSocketConnections?: number;
  readonly wireConnections?: number;
  readonly requestsPerSecond?: number;
  readonly errorsPerSecond?: number;
  readonly messagesPerSecond?: number;
  readonly deliveriesPerSecond?: number;
  readonly breakers: Readonly<Record<string, string>>;
}

const HTTP_REQUESTS = 'kaif_http_request_duration_seconds_count';
const BREAKER_STATES = ['closed', 'open', 'half-open'];

/**
 * Messages come in over three doors — HTTP, WebSocket and CosmicProto — and
 * each counts its own; a message accepted by any of them is one sent.
 */
function messagesSent(samples: readonly Sample[]): number | undefined {
  const parts = [
    sumOf(samples, HTTP_REQUESTS, (labels) => labels.method === 'POST' && /\/messages$/.test(labels.route ?? '') && Number(labels.status) < 400),
    sumOf(samples, 'kaif_realtime_frames_received_total', (labels) => labels.type === 'message.send'),
    sumOf(samples, 'kaif_wire_packets_received_total', (labels) => labels.type === 'SendMessage'),
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : parts.reduce((total, part) => total + part, 0);
}

export function countersOf(samples: readonly Sample[], at: number): Counters {
  const requests = sumOf(samples, HTTP_REQUESTS);
  return {
    at,
    requests,
    // No 5xx series yet means none happened, as long as requests are counted at all.
    serverErrors: sumOf(samples, HTTP_REQUESTS, (labels) => Number(labels.status) >= 500) ?? (requests === undefined ? undefined : 0),
    messages: messagesSent(samples),
    deliveries: sumOf(samples, 'kaif_realtime_deliveries_total'),
  };
}

/** Breaker states from `kaif_dependency_breaker_state` (0 closed, 1 open, 2 half-open). */
export function breakersOf(samples: readonly Sample[]): Readonly<Record<string, string>> {
  const breakers: Record<string, string> = {};
  for (const sample of samples) {
    if (sample.name === 'kaif_dependency_breaker_state' && sample.labels.dependency) {
      breakers[sample.labels.dependency] = BREAKER_STATES[sample.value] ?? String(sample.value);
    }
  }
  return breakers;
}

/** Gauges as read; counters as per-second rates between two scrapes. */
export function figuresOf(samples: readonly Sample[], now: Counters, previous: Counters | undefined): Figures {
  const rate = (key: Exclude<keyof Counters, 'at'>) => {
    const current = now[key];
    const before = previous?.[key];
    if (current === undefined || before === undefined || !previous || now.at <= previous.at) return undefined;
    // A counter that went down means the process restarted: no rate this round.
    return current >= before ? (current - before) / ((now.at - previous.at) / 1000) : undefined;
  };
  return {
    webSocketConnections: sumOf(samples, 'kaif_realtime_connections'),
    wireConnections: sumOf(samples, 'kaif_wire_connections'),
    requestsPerSecond: rate('requests'),
    errorsPerSecond: rate('serverErrors'),
    messagesPerSecond: rate('messages'),
    deliveriesPerSecond: rate('deliveries'),
    breakers: breakersOf(samples),
  };
}

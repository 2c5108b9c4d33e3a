import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../src/state/types.js';
import { alertsBetween } from '../src/ui/system/health-alerts.js';
import { parsePrometheus } from '../src/ui/system/prometheus.js';
import { countersOf, figuresOf } from '../src/ui/system/system-figures.js';

const scrape = (requests: number, errors: number, sends: number) => `# HELP kaif_realtime_connections Open WebSocket connections
# TYPE kaif_realtime_connections gauge
kaif_realtime_connections{service="kaif"} 3
kaif_http_request_duration_seconds_count{method="GET",route="/api/v1/chats",status="200"} ${requests}
kaif_http_request_duration_seconds_count{method="POST",route="/api/v1/chats/:id/messages",status="201"} 4
kaif_http_request_duration_seconds_count{method="GET",route="/health",status="503"} ${errors}
kaif_realtime_frames_received_total{type="message.send"} ${sends}
kaif_dependency_breaker_state{dependency="postgres"} 1
`;

describe('system figures from Prometheus text', () => {
  it('reads gauges, labels and escaped values and skips comments', () => {
    const samples = parsePrometheus('a_total{path="/x\\\\y",q="say \\"hi\\""} 2\n# comment\nbroken line\nb 1.5e3\n');
    expect(samples).toEqual([
      { name: 'a_total', labels: { path: '/x\\y', q: 'say "hi"' }, value: 2 },
      { name: 'b', labels: {}, value: 1500 },
    ]);
  });

  it('turns counters into per-second rates between two scrapes', () => {
    const first = countersOf(parsePrometheus(scrape(10, 0, 5)), 0);
    const samples = parsePrometheus(scrape(30, 2, 15));
    const figures = figuresOf(samples, countersOf(samples, 2000), first);
    expect(figures).toMatchObject({ webSocketConnections: 3, requestsPerSecond: 11, errorsPerSecond: 1, messagesPerSecond: 5, breakers: { postgres: 'open' } });
  });

  it('leaves absent metrics empty rather than failing', () => {
    const samples = parsePrometheus('process_cpu_seconds_total 1\n');
    expect(figuresOf(samples, countersOf(samples, 1000), countersOf(samples, 0))).toEqual({ breakers: {} });
  });
});

describe('alerts from health changes', () => {
  const healthy: HealthReport = { status: 'healthy', checks: { database: { status: 'up' } }, breakers: { postgres: 'closed' } };

  it('names each check, breaker and status that changed', () => {
    const degraded: HealthReport = { status: 'degraded', checks: { database: { status: 'down', detail: 'timeout' } }, breakers: { postgres: 'open' } };
    expect(alertsBetween(healthy, degraded, 1).map((alert) => [alert.level, alert.text])).toEqual([
      ['warn', 'Server is degraded (was healthy)'],
      ['bad', 'database is down: timeout'],
      ['bad', 'Circuit breaker postgres is open (was closed)'],
    ]);
  });

  it('says nothing on the first report or when nothing changed', () => {
    expect(alertsBetween(undefined, healthy, 1)).toEqual([]);
    expect(alertsBetween(healthy, healthy, 2)).toEqual([]);
  });
});

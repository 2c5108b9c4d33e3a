import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * One registry per running server (not prom-client's global one), so tests can
 * run several servers in one process without metric-name clashes.
 */
export function createMetricsRegistry(labels: Readonly<Record<string, string>>): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'kaif_' });
  // prom-client names these gauges with a counter's `_total` suffix, which
  // breaks Prometheus naming rules (promtool check metrics); the same
  // figures remain as kaif_nodejs_active_{handles,requests,resources}.
  for (const misnamed of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
    registry.removeSingleMetric(`kaif_nodejs_${misnamed}`);
  }
  return registry;
}

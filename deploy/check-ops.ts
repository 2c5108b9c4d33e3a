/**
 * Validates the operations files against the real thing: the alert rules with
 * `promtool check rules`, a live server's /metrics (scraped, as Prometheus
 * does, from its operations port) with `promtool check metrics`, the compose
 * file's and Prometheus' agreement on that port, and every metric the
 * Grafana dashboard and the alerts query against the names that server
 * actually exports. Uses the real engines when KAIF_TEST_* URLs are set, so
 * dependency metrics exist.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MODULES } from '../packages/server/src/modules/index.js';
import { loadConfig } from '../packages/server/src/platform/config/config.js';
import { createLogger } from '../packages/server/src/platform/logging/logger.js';
import { startServer } from '../packages/server/src/server.js';
import { createScratchDatabase } from '../test/support/engines.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const failures: string[] = [];

const rules = spawnSync('promtool', ['check', 'rules', here('prometheus/alerts.yml')], { encoding: 'utf8' });
process.stdout.write(rules.stdout + rules.stderr);
if (rules.status !== 0) failures.push('promtool check rules failed');

const env = process.env;
const scratch = env.KAIF_TEST_DATABASE_URL ? await createScratchDatabase() : undefined;
const config = loadConfig({
  PORT: '0',
  TCP_PORT: '0',
  UDP_PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  KAIF_SECRET_KEY: `ops:${Buffer.alloc(32, 1).toString('base64')}`,
  KAIF_DATA_DIR: here('../.kaif-test/ops-check'),
  KAIF_OPS_PORT: '0',
  ...(scratch ? { DATABASE_URL: scratch.url } : {}),
  ...(env.KAIF_TEST_REDIS_URL ? { REDIS_URL: env.KAIF_TEST_REDIS_URL, KAIF_REDIS_PREFIX: 'kaif-ops-check:' } : {}),
  ...(env.KAIF_TEST_NATS_URL ? { NATS_URL: env.KAIF_TEST_NATS_URL } : {}),
});
if (!config.ok) throw new Error(config.errors.join('\n'));
const server = await startServer({ config: config.config, logger: createLogger('silent'), modules: MODULES });
let exposition = '';
try {
  const ops = `http://127.0.0.1:${server.ports.ops}`;
  await fetch(`${server.url}/health`);
  await fetch(`${server.url}/api/v1/nothing`);
  if ((await fetch(`${server.url}/metrics`)).status !== 401) failures.push('the main port serves /metrics without login');
  exposition = await (await fetch(`${ops}/metrics`)).text();
} finally {
  await server.stop();
  await scratch?.drop();
}

const opsPort = /KAIF_OPS_PORT: (\d+)/.exec(readFileSync(here('compose.yaml'), 'utf8'))?.[1];
const targets = [...readFileSync(here('prometheus/prometheus.yml'), 'utf8').matchAll(/'kaif-[a-z]+:(\d+)'/g)].map(([, port]) => port);
if (!opsPort || targets.length === 0 || targets.some((port) => port !== opsPort)) {
  failures.push(`prometheus.yml scrapes ports ${targets.join(', ')}, but compose.yaml sets KAIF_OPS_PORT ${opsPort ?? '(unset)'}`);
}

const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
process.stdout.write(`promtool check metrics: ${lint.status === 0 ? 'SUCCESS' : 'FAILED'}\n${lint.stdout}${lint.stderr}`);
if (lint.status !== 0) failures.push('promtool check metrics found problems');

const exported = new Set(
  [...exposition.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!],
  ),
);
/** Metrics that only appear once their component has work: listed, not guessed. */
const APPEAR_LATER = new Set<string>(
  (env.KAIF_TEST_DATABASE_URL ? [] : ['kaif_db_pool_connections']).concat(
    env.KAIF_TEST_DATABASE_URL || env.KAIF_TEST_REDIS_URL || env.KAIF_TEST_NATS_URL
      ? []
      : [
          'kaif_dependency_breaker_state',
          'kaif_dependency_breaker_transitions_total',
          'kaif_dependency_call_duration_seconds_bucket',
          'kaif_dependency_call_duration_seconds_count',
        ],
  ),
);
const dashboard = JSON.parse(readFileSync(here('grafana/kaif.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const queries = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `dashboard "${panel.title}"`, expr: target.expr }))),
  ...[...readFileSync(here('prometheus/alerts.yml'), 'utf8').matchAll(/alert: (\S+)\n\s+expr: \|?\s*([\s\S]*?)\n\s+(?:for|labels):/g)].map(
    ([, alert, expr]) => ({ where: `alert ${alert}`, expr: expr! }),
  ),
];
for (const { where, expr } of queries) {
  for (const [name] of expr.matchAll(/\bkaif_[a-z0-9_]+/g)) {
    if (!exported.has(name) && !APPEAR_LATER.has(name)) failures.push(`${where} queries ${name}, which the server does not export`);
  }
}
process.stdout.write(`dashboard and alerts: ${queries.length} queries checked against ${exported.size} exported series names\n`);

if (failures.length > 0) {
  for (const failure of failures) process.stderr.write(`OPS CHECK: ${failure}\n`);
  process.exit(1);
}
process.stdout.write('operations files: OK\n');

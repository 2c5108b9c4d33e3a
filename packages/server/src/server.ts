import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { KaifModule, ModuleContext, ModuleInstance } from './modules/module.js';
import type { ServiceMap } from './modules/service-map.js';
import { type AdapterOverrides, type Adapters, openAdapters } from './platform/adapters.js';
import { type Config, ConfigError } from './platform/config/config.js';
import { joinNodes } from './platform/cluster/node-registry.js';
import type { HealthCheck } from './platform/health/health.js';
import { type HttpServer, createHttpServer } from './platform/http/http-server.js';
import { openOperationsListener } from './platform/http/operations-listener.js';
import { type OperationsSources, type Readiness, registerOperationsRoutes } from './platform/http/operations-routes.js';
import { createFloodLimits } from './platform/flood/flood-limits.js';
import { registerApiFloodControl } from './platform/http/api-flood-control.js';
import { registerWebClient } from './platform/http/web-client.js';
import { type Logger, createLogger } from './platform/logging/logger.js';
import { createMetricsRegistry } from './platform/metrics/metrics.js';
import { OutboxRelay, type OutboxRelayOptions } from './platform/outbox/outbox-relay.js';
import { RelayLagFollower } from './platform/outbox/relay-lag-follower.js';
import { platformMigrations } from './platform/outbox/outbox-tables.js';
import { ALL_ROLES, type RoleName } from './roles.js';

export const VERSION = '0.1.0';

export interface StartOptions {
  readonly config: Config;
  readonly roles?: ReadonlySet<RoleName>;
  readonly logger?: Logger;
  readonly modules: readonly KaifModule[];
  readonly adapters?: AdapterOverrides;
  readonly relay?: OutboxRelayOptions;
}

export interface RunningServer {
  readonly http: HttpServer;
  /** Base URL of the HTTP port, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly adapters: Adapters;
  readonly relay: OutboxRelay | undefined;
  service<K extends keyof ServiceMap>(name: K): ServiceMap[K];
  /** Graceful: stop accepting, drain, close adapters. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));

/**
 * Starts every module and the listeners of the given roles. Either the whole
 * server starts or, on any failure, everything opened so far is closed and
 * the error is rethrown: nothing is half-started.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const roles = options.roles ?? new Set(ALL_ROLES);
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const registry = createMetricsRegistry({ service: 'kaif' });
  const startedAt = new Date();
  let readiness: Readiness = 'starting';
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'shutdown step failed'));
    }
  };

  try {
    const adapters = await openAdapters(config, logger, registry, options.adapters);
    cleanups.push(() => adapters.close());
    const modules = orderByDependencies(options.modules);
    await adapters.db.migrate([platformMigrations, ...modules.flatMap((module) => module.migrations ?? [])]);
    await checkSecretKeys(adapters, modules);
    // Embedded PGlite opens its data directory in one process only, so no other node can share it.
    if (adapters.db.kind === 'postgres') {
      const membership = await joinNodes(adapters.db, { roles: [...roles], sharedBus: adapters.bus.kind !== 'memory', sharedStore: adapters.kv.kind !== 'memory' }, logger);
      cleanups.push(() => membership.leave());
    }

    const http = await createHttpServer({ logger, registry, bodyLimit: config.KAIF_BODY_LIMIT,
      version: VERSION,
      trustProxy: config.KAIF_TRUST_PROXY,
    });
    const checks: HealthCheck[] = [adapters.db, adapters.kv, adapters.bus, adapters.blobs];
    const instances: ModuleInstance[] = [];
    const operations: OperationsSources = {
      registry,
      checks: () => checks,
      breakers: () => [...adapters.policies, ...instances.flatMap((instance) => instance.breakers?.() ?? [])],
      readiness: () => readiness,
      roles: [...roles],
      startedAt,
    };
    registerOperationsRoutes(http, operations);

    const relay = roles.has('worker')
      ? new OutboxRelay(adapters.db, adapters.bus, logger.child({ component: 'outbox' }), registry, options.relay)
      : undefined;
    // A node without a relay admits sends by the lag the cluster's relay shares.
    const lagFollower = relay ? undefined : new RelayLagFollower(adapters.db);
    const flood = createFloodLimits(adapters.kv, logger, { perMinute: config.KAIF_RATE_LIMIT_PER_MINUTE });
    // Before any module's hooks, so the identity hook cannot refuse a request uncounted.
    registerApiFloodControl(http, flood);
    const services = new Map<string, unknown>();
    const ports: Record<string, number> = {};
    const context: ModuleContext = {
      config,
      logger,
      registry,
      db: adapters.db,
      kv: adapters.kv,
      bus: adapters.bus,
      secrets: adapters.secrets,
      blobs: adapters.blobs,
      http,
      roles,
      flood,
      outboxCommitted: () => relay?.nudge(),
      outboxBehindMs: () => relay?.behindMs() ?? lagFollower?.behindMs() ?? 0,
      policyFor: adapters.policyFor,
      isDraining: () => readiness === 'draining',
      announcePort: (name, port) => {
        ports[name] = port;
      },
      service: <K extends keyof ServiceMap>(name: K) => {
        const service = services.get(name);
        if (!service) throw new Error(`module ${String(name)} is not running in this process`);
        return service as ServiceMap[K];
      },
    };

    for (const module of modules) {
      const instance = await module.init({ ...context, logger: logger.child({ module: module.name }) });
      instances.push(instance);
      if (instance.api) services.set(module.name, instance.api);
      checks.push(...(instance.checks ?? []));
      if (instance.stop) cleanups.push(() => instance.stop!());
    }

    if (relay) {
      await relay.start();
      cleanups.push(() => relay.stop());
    }
    if (lagFollower) {
      await lagFollower.start();
      cleanups.push(() => lagFollower.stop());
    }
    // On shutdown the HTTP server closes after every listener below has let
    // go of its sockets (cleanups run in reverse), so it only waits for
    // requests in flight.
    cleanups.push(() => http.close());
    for (const role of ALL_ROLES.filter((name) => roles.has(name))) {
      for (const instance of instances) {
        const listener = instance.listeners?.[role];
        if (!listener) continue;
        await listener.open();
        if (listener.close) cleanups.push(() => listener.close!());
      }
    }
    if (roles.has('api')) {
      const webDir = config.KAIF_WEB_DIR ?? DEFAULT_WEB_DIR;
      if (!(await registerWebClient(http, webDir))) logger.warn({ webDir }, 'web client not built; serving the API only');
    }

    await http.listen({ port: config.PORT, host: config.HOST });
    const address = http.server.address();
    ports.http = typeof address === 'object' && address ? address.port : config.PORT;
    if (config.KAIF_OPS_PORT !== undefined) {
      const listener = await openOperationsListener(config.KAIF_OPS_HOST, config.KAIF_OPS_PORT, operations);
      cleanups.push(() => listener.close());
      ports.ops = listener.port;
    }
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    readiness = 'ready';
    // HTTP first: operators and scripts read the API port from this line.
    logger.info({ roles: [...roles], ports: { http: ports.http, ...ports } }, 'kaif started');

    let stopping: Promise<void> | undefined;
    return {
      http,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${ports.http}`,
      ports,
      logger,
      registry,
      adapters,
      relay,
      service: context.service,
      stop() {
        stopping ??= (async () => {
          readiness = 'draining';
          logger.info('draining');
          await runCleanups();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/**
 * Refuses to start when the database holds values sealed with an at-rest key
 * this node lacks, or with another key under an id it holds: it would answer
 * every request that opens one with a 500 (a push module would not even
 * start: it opens its VAPID key in init).
 */
async function checkSecretKeys(adapters: Adapters, modules: readonly KaifModule[]): Promise<void> {
  const samples = await Promise.all(modules.map((module) => module.sealedSamples?.(adapters.db) ?? []));
  const { missing, different } = adapters.secrets.unopenable(samples.flat());
  const remedy = 'give every node on one database the same KAIF_SECRET_KEY, and keep a retired key after the current one';
  const errors = [
    ...(missing.length > 0 ? [`CONFIG ERROR: KAIF_SECRET_KEY lacks the key id ${missing.join(', ')} that data in this database is sealed with: ${remedy}`] : []),
    ...(different.length > 0
      ? [`CONFIG ERROR: KAIF_SECRET_KEY holds another key under the key id ${different.join(', ')} than the one data in this database is sealed with: ${remedy}`]
      : []),
  ];
  if (errors.length > 0) throw new ConfigError(errors);
}

function orderByDependencies(modules: readonly KaifModule[]): KaifModule[] {
  const byName = new Map(modules.map((module) => [module.name, module]));
  const ordered: KaifModule[] = [];
  const visiting = new Set<string>();
  const visit = (module: KaifModule) => {
    if (ordered.includes(module)) return;
    if (visiting.has(module.name)) throw new Error(`module dependency cycle at ${module.name}`);
    visiting.add(module.name);
    for (const dependency of module.dependsOn ?? []) {
      const required = byName.get(dependency);
      if (!required) throw new Error(`module ${module.name} needs ${dependency}, which is not loaded`);
      visit(required);
    }
    ordered.push(module);
  };
  for (const module of modules) visit(module);
  return ordered;
}

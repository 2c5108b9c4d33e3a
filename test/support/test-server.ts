import { Writable } from 'node:stream';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { KaifModule } from '../../packages/server/src/modules/module.js';
import { type Config, loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import type { OutboxRelayOptions } from '../../packages/server/src/platform/outbox/outbox-relay.js';
import type { RoleName } from '../../packages/server/src/roles.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { ENGINE_URLS, createScratchDatabase, scratchPrefix } from './engines.js';
import { openMigratedPglite } from './pglite-template.js';

/** A fixed, test-only at-rest key (never used outside tests). */
export const TEST_SECRET_KEY = `test:${Buffer.alloc(32, 7).toString('base64')}`;

export type EngineSet = 'embedded' | 'real';

export interface TestServerOptions {
  readonly engines?: EngineSet;
  readonly roles?: readonly RoleName[];
  readonly env?: Readonly<Record<string, string>>;
  readonly modules?: readonly KaifModule[];
  readonly relay?: OutboxRelayOptions;
}

export interface TestServer extends RunningServer {
  /** Every log line the server wrote, parsed. */
  readonly logs: readonly Record<string, unknown>[];
  /** Every log line the server wrote, as written. */
  readonly rawLogs: readonly string[];
  /** The operations port (KAIF_OPS_PORT, on in tests unless set empty): /metrics and the detailed /health. */
  readonly opsUrl: string;
  /** With engines 'real': the scratch PostgreSQL database, for a test that reaches around the server. */
  readonly databaseUrl: string | undefined;
}

export function testConfig(env: Readonly<Record<string, string>> = {}): Config {
  const result = loadConfig({
    PORT: '0',
    TCP_PORT: '0',
    UDP_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    KAIF_SECRET_KEY: TEST_SECRET_KEY,
    KAIF_DATA_DIR: '/nonexistent-test-data-dir',
    KAIF_WEB_DIR: '/nonexistent-web-dir',
    KAIF_OPS_PORT: '0',
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/**
 * Starts a real server on random ports, speaking to it as a client would.
 * `embedded` uses in-memory PGlite (from a migrated template), the memory bus
 * and store; `real` uses a scratch PostgreSQL database, Redis and NATS from
 * the KAIF_TEST_* URLs.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const engines = options.engines ?? 'embedded';
  const scratch = engines === 'real' ? await createScratchDatabase() : undefined;
  const env: Record<string, string> = { ...options.env };
  if (engines === 'real') {
    env.DATABASE_URL = scratch!.url;
    if (ENGINE_URLS.redis) {
      env.REDIS_URL = ENGINE_URLS.redis;
      env.KAIF_REDIS_PREFIX = scratchPrefix();
    }
    if (ENGINE_URLS.nats) env.NATS_URL = ENGINE_URLS.nats;
  }
  const config = testConfig(env);
  const server = await startServer({
    config,
    roles: options.roles ? new Set(options.roles) : undefined,
    logger: createLogger(config.LOG_LEVEL, sink),
    modules: options.modules ?? MODULES,
    adapters: engines === 'embedded' ? { db: await openMigratedPglite() } : {},
    relay: { pollMs: 100, ...options.relay },
  }).catch(async (error: unknown) => {
    await scratch?.drop();
    throw error;
  });
  const stop = server.stop;
  return Object.assign(server, {
    logs,
    rawLogs,
    opsUrl: `http://127.0.0.1:${server.ports.ops}`,
    databaseUrl: scratch?.url,
    async stop() {
      await stop();
      if (engines === 'embedded') await server.adapters.db.close();
      await scratch?.drop();
    },
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createWireModule } from '../../packages/server/src/modules/wire/wire-module.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { startServer } from '../../packages/server/src/server.js';

/**
 * The server under benchmark, in its own process so clients and server do
 * not share an event loop. Embedded engines (PGlite on disk in a temporary
 * directory) unless DATABASE_URL / REDIS_URL / NATS_URL are set. The UDP
 * per-address limit and the TCP connections-per-IP cap are lifted: every
 * bench datagram and connection comes from 127.0.0.1.
 * Prints `{url, ports}` as one JSON line once listening; SIGTERM stops it.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'kaif-bench-wire-'));
const result = loadConfig({
  ...process.env,
  PORT: '0',
  TCP_PORT: '0',
  UDP_PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  KAIF_DATA_DIR: dataDir,
  KAIF_RATE_LIMIT_PER_MINUTE: '1000000',
  // Every bench connection comes from 127.0.0.1.
  KAIF_TCP_CONNECTIONS_PER_IP: '100000',
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const wire = createWireModule({ limits: { udpRatePerSecond: 1_000_000_000, udpBurst: 1_000_000_000, maxUdpInFlight: 100_000 } });
const server = await startServer({
  config: result.config,
  logger: createLogger('warn'),
  modules: [...MODULES.filter((module) => module.name !== 'wire'), wire],
});
process.stdout.write(`${JSON.stringify({ url: server.url, ports: server.ports })}\n`);
process.once('SIGTERM', () => {
  void server.stop().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});

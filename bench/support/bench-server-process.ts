import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KaifModule } from '../../packages/server/src/modules/module.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { startServer } from '../../packages/server/src/server.js';

/**
 * Runs a server under benchmark in this process, which the bench spawned so
 * that clients and server do not share an event loop: any free ports on
 * 127.0.0.1, data in a temporary directory, the per-user flood budget
 * lifted, engines from the environment (embedded unless DATABASE_URL etc.
 * are set), plus `env`. Prints `{url, ports, pid, dataDir}` as one JSON line
 * once listening; SIGTERM stops it and removes the directory.
 */
export async function runBenchServer(name: string, modules: readonly KaifModule[], env: Readonly<Record<string, string>> = {}): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `kaif-bench-${name}-`));
  const result = loadConfig({
    ...process.env,
    PORT: '0',
    TCP_PORT: '0',
    UDP_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAIF_DATA_DIR: dataDir,
    KAIF_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const server = await startServer({ config: result.config, logger: createLogger('warn'), modules });
  process.stdout.write(`${JSON.stringify({ url: server.url, ports: server.ports, pid: process.pid, dataDir })}\n`);
  process.once('SIGTERM', () => {
    void server.stop().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

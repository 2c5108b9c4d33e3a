import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { startServer } from '../../packages/server/src/server.js';

/**
 * The server under benchmark, in its own process so the client's work and
 * memory are not counted: embedded engines, blobs on disk in a temporary
 * directory (KAIF_S3_URL etc. from the environment switch to S3). Upload
 * budgets lifted. Prints `{url, pid}` once listening; SIGTERM stops it.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'kaif-bench-media-'));
const result = loadConfig({
  ...process.env,
  PORT: '0',
  TCP_PORT: '0',
  UDP_PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  KAIF_DATA_DIR: dataDir,
  KAIF_RATE_LIMIT_PER_MINUTE: '1000000',
  KAIF_MEDIA_UPLOADS_PER_MINUTE: '1000000',
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const server = await startServer({ config: result.config, logger: createLogger('warn'), modules: MODULES });
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid, dataDir })}\n`);
process.once('SIGTERM', () => {
  void server.stop().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});

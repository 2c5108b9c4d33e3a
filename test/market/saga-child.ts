/**
 * A server process for the saga's kill -9 test: every module, with the
 * market's fault points armed from the environment. When the saga reaches
 * `MARKET_CRASH_AT` (`effect:<step>`: after the wallet call, inside the
 * step's transaction, before COMMIT; `record:<step>`: right after the step
 * committed) for the first time, the process SIGKILLs itself: a real
 * kill -9 at an exact point, no cleanup, sockets cut. Logs like `kaif start`.
 */
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createMarketModule } from '../../packages/server/src/modules/market/market-module.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { startServer } from '../../packages/server/src/server.js';

const crashAt = process.env.MARKET_CRASH_AT;
const fire = (point: string) => {
  if (point !== crashAt) return;
  process.stdout.write(`${JSON.stringify({ msg: 'crashing', point })}\n`);
  process.kill(process.pid, 'SIGKILL');
};
const market = createMarketModule({
  faults: {
    afterEffect: (_orderId, step) => fire(`effect:${step}`),
    afterRecord: (_orderId, step) => fire(`record:${step}`),
  },
});
const result = loadConfig(process.env);
if (!result.ok) throw new Error(result.errors.join('\n'));
await startServer({
  config: result.config,
  logger: createLogger(result.config.LOG_LEVEL),
  modules: [...MODULES.filter((module) => module.name !== 'market'), market],
});

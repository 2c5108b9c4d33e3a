import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

/** A worker that dies this soon after starting counts as a crash loop and is restarted more slowly. */
const QUICK_DEATH_MS = 5000;
const RESTART_DELAY_MS = 1000;
const RESTART_DELAY_AFTER_QUICK_DEATH_MS = 10_000;

/**
 * How many worker processes this node should run. Workers share nothing but
 * the engines, so without all three (PostgreSQL, NATS and Redis: the in-process
 * bus and store would split the node, and joinNodes would refuse the second
 * worker) it runs as one process.
 */
export function effectiveWorkers(config: Pick<Config, 'KAIF_WORKERS' | 'DATABASE_URL' | 'NATS_URL' | 'REDIS_URL'>): {
  readonly workers: number;
  readonly reason?: string;
} {
  if (config.KAIF_WORKERS <= 1) return { workers: 1 };
  if (!config.DATABASE_URL || !config.NATS_URL || !config.REDIS_URL) {
    return {
      workers: 1,
      reason:
        'KAIF_WORKERS needs DATABASE_URL, NATS_URL and REDIS_URL: embedded PGlite and the in-process bus and store cannot be shared between processes',
    };
  }
  return { workers: config.KAIF_WORKERS };
}

/**
 * `kaif start` with `KAIF_WORKERS` > 1: the primary forks that many workers,
 * each running the same command (and so `startServer`), sharing the
 * listening ports through Node's cluster module. A worker that dies
 * unexpectedly is replaced; SIGTERM or SIGINT is forwarded to every worker
 * and the primary exits 0 once all have exited.
 *
 * Returns null when this process should serve by itself (a worker, or a
 * single-process node); otherwise the primary's exit code.
 */
export async function runWorkers(options: { readonly config: Config; readonly logger: Logger }): Promise<number | null> {
  if (cluster.isWorker) return null;
  const { workers, reason } = effectiveWorkers(options.config);
  if (reason) options.logger.warn({ requested: options.config.KAIF_WORKERS }, `running one process: ${reason}`);
  if (workers <= 1) return null;

  const logger = options.logger.child({ component: 'cluster' });
  const startedAt = new Map<Worker, number>();
  let stopping = false;
  const fork = () => startedAt.set(cluster.fork(workerEnv()), Date.now());

  logger.info({ workers }, 'starting worker processes');
  for (let index = 0; index < workers; index++) fork();

  return new Promise<number>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? 0);
      startedAt.delete(worker);
      if (stopping) {
        if (startedAt.size === 0) {
          logger.info('every worker exited');
          resolve(0);
        }
        return;
      }
      const delay = lived < QUICK_DEATH_MS ? RESTART_DELAY_AFTER_QUICK_DEATH_MS : RESTART_DELAY_MS;
      logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died unexpectedly; restarting it');
      setTimeout(() => {
        if (!stopping) fork();
      }, delay);
    });
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping workers');
      if (startedAt.size === 0) resolve(0);
      for (const worker of startedAt.keys()) worker.process.kill(signal);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * Environment a worker adds to the primary's. glibc gives each thread that
 * allocates its own malloc arena and rarely returns their pages. With
 * 10,000 idle WebSocket connections the workers' resident memory grew 17 KiB
 * per further connection in both runs with the default arenas, and 4-9 KiB
 * in four of five runs with two (19 KiB in the fifth), for the same ~4 KiB
 * of JavaScript heap (bench/realtime/memory.ts). An operator's own
 * MALLOC_ARENA_MAX wins.
 */
function workerEnv(): Record<string, string> {
  return process.env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {};
}

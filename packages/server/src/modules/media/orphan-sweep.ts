import type { Logger } from '../../platform/logging/logger.js';

export interface OrphanSweepOptions {
  /** An upload no message carries is kept this long, for its uploader to send it. */
  readonly graceMs: number;
  /** Media found in use is looked at again after this long (its message may be deleted by then). */
  readonly recheckMs: number;
  /** How often the sweep runs on each worker. */
  readonly everyMs: number;
}

export const DEFAULT_ORPHAN_SWEEP: OrphanSweepOptions = { graceMs: 24 * 3600_000, recheckMs: 3600_000, everyMs: 10 * 60_000 };

/**
 * The cleanup job of the worker role: every `everyMs`, deletes media no
 * message carries (see MediaService.collectOrphans), batch after batch
 * until a batch finds nothing to delete. Stops with the worker.
 */
export function startOrphanSweep(collect: () => Promise<number>, logger: Logger, options: OrphanSweepOptions): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const sweep = async () => {
    try {
      while (!stopped && (await collect()) > 0);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'media cleanup failed; retrying at the next sweep');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, options.everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

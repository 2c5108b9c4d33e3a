import type { Logger } from '../../platform/logging/logger.js';

export interface OrphanSweepOptions {
  /** An upload no message carries is kept this long, for its uploader to send it. */
  readonly graceMs: number;
  /** Media found in use is looked at again after this long (its message may be deleted by then). */
  readonly recheckMs: number;
  /** How often the sweep runs on each worker. */
  readonly everyMs: number;
  /** A blob no row names is deleted once it is this old (its row may be about to commit until then). */
  readonly strayGraceMs: number;
  /** How often each worker lists the blob store for blobs no row names (a whole listing: rarer than the sweep). */
  readonly strayEveryMs: number;
}

export const DEFAULT_ORPHAN_SWEEP: OrphanSweepOptions = {
  graceMs: 24 * 3600_000,
  recheckMs: 3600_000,
  everyMs: 10 * 60_000,
  strayGraceMs: 3600_000,
  strayEveryMs: 6 * 3600_000,
};

/**
 * The cleanup job of the worker role: every `everyMs`, deletes media no
 * message carries (see MediaService.collectOrphans), batch after batch
 * until a batch finds nothing to delete. Stops with the worker.
 */
export function startOrphanSweep(collect: () => Promise<number>, logger: Logger, options: Pick<OrphanSweepOptions, 'everyMs'>): { stop(): Promise<void> } {
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

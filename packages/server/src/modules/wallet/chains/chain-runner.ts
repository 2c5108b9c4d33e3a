import type { Logger } from '../../../platform/logging/logger.js';
import type { ChainJob } from './chain-services.js';

/**
 * Runs each chain job in its own loop in the worker role: start once (with
 * retries while the chain is unreachable), then a round every `pollMs`. A
 * failing round (the chain down, its breaker open) is logged and retried on
 * the next tick; it never touches anything but its own chain, so internal
 * transfers go on.
 */
export class ChainRunner {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly jobs: readonly ChainJob[],
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const job of this.jobs) this.schedule(job, false, 0);
  }

  private schedule(job: ChainJob, started: boolean, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.tick(job, started).finally(() => this.running.delete(run));
      this.running.add(run);
    }, delayMs);
    this.timers.add(timer);
  }

  private async tick(job: ChainJob, started: boolean): Promise<void> {
    let ready = started;
    try {
      if (!ready) {
        await job.start?.();
        ready = true;
      }
      await job.round();
    } catch (error) {
      this.logger.warn({ job: job.name, err: (error as Error).message }, 'chain job round failed; retrying');
    }
    this.schedule(job, ready, this.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}

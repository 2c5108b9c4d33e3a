import type { Logger } from '../../platform/logging/logger.js';
import type { OrderSaga } from './order-saga.js';

const BATCH = 50;

/**
 * The worker role's loop that finishes what requests started: every
 * `pollMs` it resumes orders not in a final state whose work is due (a
 * step to run, a deadline past) and that no live driver holds (their lease
 * lapsed: the process driving them died, or a step failed and waits for a
 * retry). Safe on any number of workers: an order is driven by whoever
 * takes its lease.
 */
export class MarketWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly saga: OrderSaga,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the due orders; resolves when each was driven as far as it goes now. */
  async runOnce(): Promise<number> {
    const due = await this.saga.due(BATCH);
    for (const orderId of due) await this.saga.driveQuietly(orderId);
    return due.length;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'market worker pass failed'))
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }
}

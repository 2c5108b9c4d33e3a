import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import { KaifError } from '../../platform/http/kaif-error.js';

/**
 * One connection's draw on the cluster-wide budgets shared with the HTTP API
 * (`KAIF_RATE_LIMIT_PER_MINUTE`): until it authenticates, its address's (as
 * an unauthenticated request), then its user's. Once refused it refuses on
 * its own until the wait is over, so a client that ignores FLOOD_WAIT costs
 * no round trip to the store.
 */
export class SessionBudget {
  private refusedUntil = 0;

  constructor(
    private readonly flood: FloodLimits,
    private readonly address: string,
  ) {}

  /**
   * Throws FLOOD_WAIT with `retryAfter` past the budget. The store is asked
   * synchronously, so charges made one after another are answered in order.
   */
  charge(userId: string | undefined, points: number): Promise<void> {
    const now = Date.now();
    if (now < this.refusedUntil) return Promise.reject(floodWait(Math.ceil((this.refusedUntil - now) / 1000)));
    const consumed = userId === undefined ? this.flood.consumeIp(this.address, points) : this.flood.consumeUser(userId, points);
    return consumed.then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof KaifError && error.code === 'FLOOD_WAIT') this.refusedUntil = now + (error.retryAfter ?? 1) * 1000;
        throw error;
      },
    );
  }
}

export function floodWait(retryAfter: number): KaifError {
  return new KaifError('FLOOD_WAIT', 'Too many requests; wait before retrying', { retryAfter: Math.max(1, retryAfter) });
}

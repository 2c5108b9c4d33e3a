import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../kv/key-value-store.js';
import type { Logger } from '../logging/logger.js';
import { KaifError } from '../http/kaif-error.js';

/**
 * Telegram-style flood control shared by every transport: past a limit a
 * caller gets FLOOD_WAIT with `retryAfter` seconds. Signed-in callers are
 * limited per user (API requests and WebSocket sends draw on the same
 * budget); every caller is also limited per IP, at a multiple of the user
 * limit so that many people behind one NAT are not punished for each other.
 * A costly call (a page of history over TCP) may draw several points at once.
 * Limits live in the key-value store, so they hold across nodes; when Redis
 * is down the store falls back to a node-local limiter.
 */
export interface FloodLimits {
  /** Throws KaifError FLOOD_WAIT once the user's budget is spent; returns what is left. */
  consumeUser(userId: string, points?: number): Promise<number>;
  /** Throws KaifError FLOOD_WAIT once the address's budget is spent. */
  consumeIp(ip: string, points?: number): Promise<void>;
}

export function createFloodLimits(
  kv: KeyValueStore,
  logger: Logger,
  options: { readonly perMinute: number; readonly ipMultiplier?: number },
): FloodLimits {
  const perUser = new CoalescedLimiter(kv.rateLimiter({ keyPrefix: 'rl:user', points: options.perMinute, durationSeconds: 60 }), options.perMinute, logger);
  const ipPoints = options.perMinute * (options.ipMultiplier ?? 5);
  const perIp = new CoalescedLimiter(kv.rateLimiter({ keyPrefix: 'rl:ip', points: ipPoints, durationSeconds: 60 }), ipPoints, logger);
  return {
    consumeUser: (userId, points = 1) => perUser.consume(userId, points),
    async consumeIp(ip, points = 1) {
      await perIp.consume(ip, points);
    },
  };
}

interface Charge {
  readonly points: number;
  readonly resolve: (remaining: number) => void;
  readonly reject: (error: KaifError) => void;
}

/**
 * The charges to one key asked during one turn of the event loop go to the
 * store as one consume of their sum, answered charge by charge in the order
 * they were asked, as if each had been consumed alone: past the budget, the
 * first ones still fit and the rest get FLOOD_WAIT. A send is charged to its
 * user, so at thousands of sends a second a store round trip per send cost
 * the server (and Redis, on the same cores) more than the send itself
 * (profiled at ten times the sustainable send rate); one per user per turn
 * is a few dozen.
 */
class CoalescedLimiter {
  private pending = new Map<string, Charge[]>();
  private readonly flushAll = () => this.flush();

  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly points: number,
    private readonly logger: Logger,
  ) {}

  consume(key: string, points: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) setImmediate(this.flushAll);
      const charges = this.pending.get(key);
      if (charges) charges.push({ points, resolve, reject });
      else this.pending.set(key, [{ points, resolve, reject }]);
    });
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const [key, charges] of pending) {
      const total = charges.reduce((sum, charge) => sum + charge.points, 0);
      this.limiter.consume(key, total).then(
        (allowed) => this.answer(charges, allowed.consumedPoints - total),
        (rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) {
            this.answer(charges, rejection.consumedPoints - total, rejection.msBeforeNext);
            return;
          }
          // The store failed and its insurance limiter too: serving beats refusing.
          this.logger.warn({ err: (rejection as Error).message }, 'flood limit check failed; allowing');
          for (const charge of charges) charge.resolve(this.points);
        },
      );
    }
  }

  /** `before`: the points the key had used before these charges. */
  private answer(charges: readonly Charge[], before: number, msBeforeNext = 0): void {
    let used = before;
    for (const charge of charges) {
      used += charge.points;
      if (used <= this.points) charge.resolve(this.points - used);
      else charge.reject(new KaifError('FLOOD_WAIT', 'Too many requests; wait before retrying', { retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)) }));
    }
  }
}

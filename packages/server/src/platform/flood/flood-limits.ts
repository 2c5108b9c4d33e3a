import { RateLimiterRes } from 'rate-limiter-flexible';
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
  const perUser = kv.rateLimiter({ keyPrefix: 'rl:user', points: options.perMinute, durationSeconds: 60 });
  const perIp = kv.rateLimiter({
    keyPrefix: 'rl:ip',
    points: options.perMinute * (options.ipMultiplier ?? 5),
    durationSeconds: 60,
  });
  const consume = async (limiter: typeof perUser, key: string, points = 1): Promise<number> => {
    try {
      return (await limiter.consume(key, points)).remainingPoints;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new KaifError('FLOOD_WAIT', 'Too many requests; wait before retrying', {
          retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        });
      }
      // The store failed and its insurance limiter too: serving beats refusing.
      logger.warn({ err: (rejection as Error).message }, 'flood limit check failed; allowing');
      return options.perMinute;
    }
  };
  return {
    consumeUser: (userId, points) => consume(perUser, userId, points),
    async consumeIp(ip, points) {
      await consume(perIp, ip, points);
    },
  };
}

import { RateLimiterRes } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../kv/key-value-store.js';
import type { HttpServer } from './http-server.js';
import { KaifError } from './kaif-error.js';

/** Operations endpoints stay reachable for probes and scrapers whatever the load. */
const EXEMPT = new Set(['/health', '/ready', '/metrics']);

/**
 * Whole-API flood control, Telegram style: past the limit a caller gets 429
 * FLOOD_WAIT with `retryAfter` and `Retry-After`. Signed-in callers are
 * limited per user; every caller is also limited per IP, at a multiple of the
 * user limit so that many people behind one NAT are not punished for each
 * other. Limits live in the key-value store, so they hold across nodes; when
 * Redis is down the store falls back to a node-local limiter.
 *
 * Registered after the identity hook, so `request.principal` is known.
 */
export function registerApiRateLimit(
  app: HttpServer,
  kv: KeyValueStore,
  options: { readonly perMinute: number; readonly ipMultiplier?: number },
): void {
  const perUser = kv.rateLimiter({ keyPrefix: 'rl:api:user', points: options.perMinute, durationSeconds: 60 });
  const perIp = kv.rateLimiter({
    keyPrefix: 'rl:api:ip',
    points: options.perMinute * (options.ipMultiplier ?? 5),
    durationSeconds: 60,
  });
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (EXEMPT.has(path) || !path.startsWith('/api/')) return;
    try {
      await perIp.consume(request.ip);
      if (request.principal) {
        const result = await perUser.consume(request.principal.userId);
        reply.header('x-ratelimit-remaining', String(result.remainingPoints));
      }
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new KaifError('FLOOD_WAIT', 'Too many requests; wait before retrying', {
          retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        });
      }
      // The store failed and its insurance limiter too: serving beats refusing.
      request.log.warn({ err: (rejection as Error).message }, 'rate limit check failed; allowing');
    }
  });
}

import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Logger } from '../logging/logger.js';
import type { CheckResult } from '../health/health.js';
import type { DependencyPolicy } from '../resilience/dependency-policy.js';
import type { KeyValueStore, RateLimitOptions } from './key-value-store.js';

/**
 * Redis for the scale-out shape. Commands fail fast while Redis is away (no
 * offline queue), so callers degrade instead of waiting; rate limiters fall
 * back to a node-local limiter (rate-limiter-flexible's insurance limiter).
 */
export async function openRedisKeyValueStore(
  url: string,
  deps: { readonly policy: DependencyPolicy; readonly logger: Logger; readonly keyPrefix: string },
): Promise<KeyValueStore> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    keyPrefix: deps.keyPrefix,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) deps.logger.warn({ err: error.message }, 'redis connection error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    if (lastError) deps.logger.info('redis connection restored');
    lastError = '';
  });
  await deps.policy.execute(() => redis.connect(), { idempotent: true });

  const call = <T>(command: () => Promise<T>, idempotent = true) => deps.policy.execute(command, { idempotent });

  return {
    kind: 'redis',
    name: 'kv',
    essential: false,
    async check(): Promise<CheckResult> {
      await call(() => redis.ping());
      return { status: 'up', detail: 'redis' };
    },
    get: (key) => call(() => redis.get(key)),
    getMany: (keys) => (keys.length === 0 ? Promise.resolve([]) : call(() => redis.mget(...keys))),
    async set(key, value, ttlMs) {
      await call(() => (ttlMs === undefined ? redis.set(key, value) : redis.set(key, value, 'PX', ttlMs)));
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await call(() => redis.set(key, value, 'PX', ttlMs, 'NX'), false)) === 'OK';
    },
    async delete(key) {
      await call(() => redis.del(key));
    },
    async increment(key, by = 1, ttlMs) {
      const [[, value] = []] =
        (await call(
          () =>
            ttlMs === undefined
              ? redis.multi().incrby(key, by).exec()
              : redis.multi().incrby(key, by).pexpire(key, ttlMs, 'NX').exec(),
          false,
        )) ?? [];
      return Number(value);
    },
    rateLimiter(options: RateLimitOptions) {
      const common = {
        keyPrefix: options.keyPrefix,
        points: options.points,
        duration: options.durationSeconds,
        blockDuration: options.blockSeconds ?? 0,
      };
      return new RateLimiterRedis({
        ...common,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(common),
      });
    },
    async close() {
      redis.disconnect();
    },
  };
}

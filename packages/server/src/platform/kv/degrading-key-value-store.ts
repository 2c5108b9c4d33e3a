import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from './key-value-store.js';

/**
 * Redis with a node-local fallback: when a call to the shared store fails
 * (Redis down, breaker open), the same call is answered by the in-process
 * store instead, so presence, typing throttles and caches keep working on
 * this node and the API keeps serving. While degraded, state is per node:
 * presence seen from other nodes may be stale and limits hold per node, not
 * across the cluster. Health still reports the shared store, so /health
 * shows `degraded`. Rate limiters degrade on their own (rate-limiter-flexible's
 * insurance limiter), so they are the shared store's.
 */
export function createDegradingKeyValueStore(shared: KeyValueStore, local: KeyValueStore, logger: Logger): KeyValueStore {
  let degraded = false;
  const attempt = async <T>(call: (store: KeyValueStore) => Promise<T>): Promise<T> => {
    try {
      const result = await call(shared);
      if (degraded) {
        degraded = false;
        logger.info('shared key-value store is back; leaving node-local fallback');
      }
      return result;
    } catch (error) {
      if (!degraded) {
        degraded = true;
        logger.warn({ err: (error as Error).message }, 'shared key-value store failed; using node-local fallback');
      }
      return call(local);
    }
  };
  return {
    kind: shared.kind,
    name: shared.name,
    essential: false,
    check: () => shared.check(),
    get: (key) => attempt((store) => store.get(key)),
    getMany: (keys) => attempt((store) => store.getMany(keys)),
    set: (key, value, ttlMs) => attempt((store) => store.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => attempt((store) => store.setIfAbsent(key, value, ttlMs)),
    delete: (key) => attempt((store) => store.delete(key)),
    increment: (key, by, ttlMs) => attempt((store) => store.increment(key, by, ttlMs)),
    rateLimiter: (options) => shared.rateLimiter(options),
    async close() {
      await shared.close();
      await local.close();
    },
  };
}

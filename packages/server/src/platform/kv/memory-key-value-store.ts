import { TTLCache } from '@isaacs/ttlcache';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { CheckResult } from '../health/health.js';
import type { KeyValueStore, RateLimitOptions } from './key-value-store.js';

/**
 * In-process store for the one-process shape. Single-node only. Entries live
 * in a @isaacs/ttlcache: expired ones are never read (each read checks the
 * age) and are purged by its one timer.
 */
export function createMemoryKeyValueStore(): KeyValueStore {
  const entries = new TTLCache<string, string>({ ttl: Number.POSITIVE_INFINITY, checkAgeOnGet: true, checkAgeOnHas: true });
  // ttlcache wants a positive whole number of milliseconds or Infinity.
  const ttlOf = (ttlMs: number | undefined) => (ttlMs === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(ttlMs)));
  const read = (key: string) => entries.get(key) ?? null;

  return {
    kind: 'memory',
    name: 'kv',
    essential: false,
    async check(): Promise<CheckResult> {
      return { status: 'up', detail: 'in-process' };
    },
    async get(key) {
      return read(key);
    },
    async getMany(keys) {
      return keys.map(read);
    },
    async set(key, value, ttlMs) {
      entries.set(key, value, { ttl: ttlOf(ttlMs) });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (entries.has(key)) return false;
      entries.set(key, value, { ttl: ttlOf(ttlMs) });
      return true;
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, by = 1, ttlMs) {
      const current = entries.get(key);
      const next = (current === undefined ? 0 : Number(current)) + by;
      // An existing key keeps its expiry, as Redis INCR does.
      if (current === undefined) entries.set(key, String(next), { ttl: ttlOf(ttlMs) });
      else entries.set(key, String(next), { noUpdateTTL: true });
      return next;
    },
    rateLimiter(options: RateLimitOptions) {
      return new RateLimiterMemory({
        keyPrefix: options.keyPrefix,
        points: options.points,
        duration: options.durationSeconds,
        blockDuration: options.blockSeconds ?? 0,
      });
    },
    async close() {
      entries.clear();
      entries.cancelTimer();
    },
  };
}

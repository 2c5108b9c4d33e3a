import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { CheckResult } from '../health/health.js';
import type { KeyValueStore, RateLimitOptions } from './key-value-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 30_000;

/** In-process store for the one-process shape. Single-node only. */
export function createMemoryKeyValueStore(now: () => number = Date.now): KeyValueStore {
  const entries = new Map<string, Entry>();
  const sweeper = setInterval(() => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const expiry = (ttlMs: number | undefined) => (ttlMs === undefined ? Number.POSITIVE_INFINITY : now() + ttlMs);

  return {
    kind: 'memory',
    name: 'kv',
    essential: false,
    async check(): Promise<CheckResult> {
      return { status: 'up', detail: 'in-process' };
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async getMany(keys) {
      return keys.map((key) => live(key)?.value ?? null);
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: expiry(ttlMs) });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: expiry(ttlMs) });
      return true;
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, by = 1, ttlMs) {
      const entry = live(key);
      const next = (entry ? Number(entry.value) : 0) + by;
      entries.set(key, { value: String(next), expiresAt: entry ? entry.expiresAt : expiry(ttlMs) });
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
      clearInterval(sweeper);
      entries.clear();
    },
  };
}

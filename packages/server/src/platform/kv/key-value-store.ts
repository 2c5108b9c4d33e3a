import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { HealthCheck } from '../health/health.js';

export type KeyValueKind = 'memory' | 'redis';

export interface RateLimitOptions {
  /** Distinguishes one limit's keys from another's. */
  readonly keyPrefix: string;
  /** Allowed events per window. */
  readonly points: number;
  readonly durationSeconds: number;
  /** Once exceeded, refuse for this long instead of until the window ends. */
  readonly blockSeconds?: number;
}

/**
 * Short-lived shared state: presence, typing, rate limits, caches. Nothing
 * here is the source of truth; losing it loses no message.
 *
 * Guarantees: `increment` and `setIfAbsent` are atomic across every node that
 * shares the store (Redis) or within the process (memory); a TTL is honoured
 * to within a second. The memory store is single-node only.
 */
export interface KeyValueStore extends HealthCheck {
  readonly kind: KeyValueKind;
  get(key: string): Promise<string | null>;
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only when the key is absent; true when it was set. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Adds `by` and returns the new value; a new key starts at 0 and gets `ttlMs`. */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** A rate-limiter-flexible limiter over this store, so limits hold across nodes. */
  rateLimiter(options: RateLimitOptions): RateLimiterAbstract;
  close(): Promise<void>;
}

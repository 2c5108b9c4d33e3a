import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export type RateDecision =
  | { readonly allowed: true }
  /** `tellSource` once per window, so a source is told to wait once, not once per packet. */
  | { readonly allowed: false; readonly tellSource: boolean; readonly retryAfterSeconds: number };

const ALLOWED: RateDecision = { allowed: true };

/**
 * A rate limit per source address, in this process's memory: UDP packets
 * are cheap to forge and to send, so the check must cost less than a round
 * trip to a shared store. Each node enforces the limit on its own: `burst`
 * datagrams per window of `burst / ratePerSecond` seconds (rate-limiter-
 * flexible, fixed window). Memory is bounded even against forged sources:
 * past `maxSources` sources seen within a window the least recent one is
 * forgotten (it starts a fresh window if it comes back).
 */
export class SourceRateLimiter {
  private readonly limiter: RateLimiterMemory;
  private readonly sources: LRUCache<string, true>;
  private readonly burst: number;
  private readonly windowMs: number;
  private purgedAt = 0;

  constructor(ratePerSecond: number, burst: number, maxSources: number) {
    const windowSeconds = burst / ratePerSecond;
    this.burst = burst;
    this.windowMs = windowSeconds * 1000;
    this.limiter = new RateLimiterMemory({ keyPrefix: 'udp', points: burst, duration: windowSeconds });
    this.sources = new LRUCache<string, true>({
      max: maxSources,
      ttl: this.windowMs,
      dispose: (_value, source, reason) => {
        if (reason === 'evict') void this.limiter.delete(source);
      },
    });
  }

  /** Sources seen within about the last two windows (those evicted for room excepted). */
  get size(): number {
    return this.sources.size;
  }

  /** Takes one datagram from `source`'s budget. */
  async take(source: string): Promise<RateDecision> {
    const now = performance.now();
    if (now - this.purgedAt >= this.windowMs) {
      // At most once a window, so a datagram costs O(1); sources refilled since are dropped from `size`.
      this.purgedAt = now;
      this.sources.purgeStale();
    }
    this.sources.set(source, true);
    try {
      await this.limiter.consume(source);
      return ALLOWED;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return {
        allowed: false,
        tellSource: rejection.consumedPoints === this.burst + 1,
        retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      };
    }
  }
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Whether this source was already told to wait since it last had a token. */
  warned: boolean;
}

export type RateDecision = 'allowed' | 'refused' | 'refused-first';

/**
 * A token bucket per source address, in this process's memory: UDP packets
 * are cheap to forge and to send, so the check must cost less than a round
 * trip to a shared store. Each node enforces the limit on its own. Memory is
 * bounded: buckets that refilled are swept, and past `maxSources` the oldest
 * is forgotten.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxSources: number,
  ) {}

  /** Sources with a bucket: seen recently enough to be still refilling. */
  get size(): number {
    return this.buckets.size;
  }

  /** `refused-first` once per refusal streak, so the source may be told to wait once, not once per packet. */
  take(source: string, now = Date.now()): RateDecision {
    this.sweep(now);
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: this.burst, updatedAt: now, warned: false };
      this.buckets.set(source, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.warned = false;
      return 'allowed';
    }
    if (bucket.warned) return 'refused';
    bucket.warned = true;
    return 'refused-first';
  }

  /** Seconds until `source` has a token again. */
  retryAfterSeconds(source: string): number {
    const bucket = this.buckets.get(source);
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.ceil((1 - bucket.tokens) / this.ratePerSecond);
  }

  private sweep(now: number): void {
    const refillMs = (this.burst / this.ratePerSecond) * 1000;
    if (now - this.lastSweep < Math.max(refillMs, 1000)) return;
    this.lastSweep = now;
    for (const [source, bucket] of this.buckets) {
      if (now - bucket.updatedAt >= refillMs) this.buckets.delete(source);
    }
  }
}

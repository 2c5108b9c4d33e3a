/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`.
 * Local to one connection, so it needs no shared store.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(): number {
    const time = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((time - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = time;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerSecond;
  }
}

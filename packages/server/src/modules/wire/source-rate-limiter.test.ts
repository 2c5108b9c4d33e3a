import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from './source-rate-limiter.js';

describe('SourceRateLimiter', () => {
  it('allows a burst, refuses beyond it telling the source once, and refills at the rate', () => {
    const limiter = new SourceRateLimiter(10, 3, 100);
    const at = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('10.0.0.1', at))).toEqual(['allowed', 'allowed', 'allowed']);
    expect(limiter.take('10.0.0.1', at)).toBe('refused-first');
    expect(limiter.take('10.0.0.1', at)).toBe('refused');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1);
    expect(limiter.take('10.0.0.2', at)).toBe('allowed');
    expect(limiter.take('10.0.0.1', at + 100)).toBe('allowed');
    expect(limiter.take('10.0.0.1', at + 100)).toBe('refused-first');
  });

  it('keeps at most maxSources buckets and forgets sources whose bucket refilled', () => {
    const limiter = new SourceRateLimiter(10, 2, 3);
    for (const source of ['a', 'b', 'c', 'd']) limiter.take(source, 0);
    expect(limiter.size).toBe(3);
    limiter.take('e', 5_000);
    expect(limiter.size).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, 500, 30_000, top)).toBe(499);
    expect(backoffDelay(3, 500, 30_000, top)).toBe(3999);
    expect(backoffDelay(20, 500, 30_000, top)).toBe(29_999);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    expect(backoffDelay(5, 500, 30_000, () => 0)).toBe(0);
  });
});

import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from './source-rate-limiter.js';

const takeMany = (limiter: SourceRateLimiter, source: string, count: number) =>
  Promise.all(Array.from({ length: count }, () => limiter.take(source)));

describe('SourceRateLimiter', () => {
  it('allows a burst, then refuses, telling the source once per window', async () => {
    const limiter = new SourceRateLimiter(10, 3, 100);
    expect((await takeMany(limiter, '10.0.0.1', 3)).map((decision) => decision.allowed)).toEqual([true, true, true]);
    expect(await limiter.take('10.0.0.1')).toEqual({ allowed: false, tellSource: true, retryAfterSeconds: 1 });
    expect(await limiter.take('10.0.0.1')).toMatchObject({ allowed: false, tellSource: false });
    expect(await limiter.take('10.0.0.2')).toEqual({ allowed: true });
  });

  it('allows the source again once its window has passed', async () => {
    const limiter = new SourceRateLimiter(40, 2, 100);
    await takeMany(limiter, 'a', 3);
    await delay(80);
    expect((await takeMany(limiter, 'a', 3)).map((decision) => decision.allowed)).toEqual([true, true, false]);
  });

  it('keeps at most maxSources and forgets sources whose window passed', async () => {
    const limiter = new SourceRateLimiter(40, 2, 3);
    for (const source of ['a', 'b', 'c', 'd']) await limiter.take(source);
    expect(limiter.size).toBe(3);
    await delay(80);
    await limiter.take('e');
    expect(limiter.size).toBe(1);
  });

  it('gives a source forgotten for room a fresh window', async () => {
    const limiter = new SourceRateLimiter(1, 2, 1);
    await takeMany(limiter, 'a', 3);
    await limiter.take('b');
    expect((await limiter.take('a')).allowed).toBe(true);
  });
});

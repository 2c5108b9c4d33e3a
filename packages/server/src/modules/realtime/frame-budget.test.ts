import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FrameBudget } from './frame-budget.js';

const takeMany = (budget: FrameBudget, connection: number, count: number) =>
  Promise.all(Array.from({ length: count }, () => budget.take(connection)));

describe('FrameBudget', () => {
  it('allows a burst, then refuses with the wait until the window resets', async () => {
    const budget = new FrameBudget(20, 4);
    expect(await takeMany(budget, 1, 4)).toEqual([0, 0, 0, 0]);
    const wait = await budget.take(1);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(0.2);
  });

  it('keeps one budget per connection', async () => {
    const budget = new FrameBudget(20, 2);
    await takeMany(budget, 1, 2);
    expect(await budget.take(1)).toBeGreaterThan(0);
    expect(await takeMany(budget, 2, 2)).toEqual([0, 0]);
  });

  it('allows a full burst again once the window has passed', async () => {
    const budget = new FrameBudget(40, 2);
    await takeMany(budget, 1, 2);
    expect(await budget.take(1)).toBeGreaterThan(0);
    await delay(80);
    expect(await takeMany(budget, 1, 2)).toEqual([0, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { PlaceHolds } from './place-holds.js';

describe('PlaceHolds', () => {
  it('counts the places held until each is taken', () => {
    const holds = new PlaceHolds(1000);
    holds.add(0);
    holds.add(1);
    expect(holds.count(2)).toBe(2);
    expect(holds.take()).toBe(true);
    expect(holds.count(2)).toBe(1);
    expect(holds.take()).toBe(true);
    expect(holds.take()).toBe(false);
    expect(holds.count(2)).toBe(0);
  });

  it('gives back a place whose send never came, once its hold lapses', () => {
    const holds = new PlaceHolds(100);
    holds.add(0);
    holds.add(50);
    expect(holds.count(100)).toBe(2);
    expect(holds.count(101)).toBe(1);
    expect(holds.count(151)).toBe(0);
    expect(holds.take()).toBe(false);
  });

  it('stays exact across many holds (its storage is compacted as it goes)', () => {
    const holds = new PlaceHolds(10);
    for (let time = 0; time < 5000; time++) {
      holds.add(time);
      if (time % 2 === 0) holds.take();
    }
    // Taking uses the oldest hold, and more were added than taken: the
    // eleven added within the last 10 ms (4989…4999) are still held.
    expect(holds.count(4999)).toBe(11);
    expect(holds.count(5010)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { RecentEventIds } from './recent-event-ids.js';

describe('RecentEventIds', () => {
  it('tells an id seen before from a new one', () => {
    const recent = new RecentEventIds(10);
    expect(recent.seenBefore('e1')).toBe(false);
    expect(recent.seenBefore('e1')).toBe(true);
    expect(recent.seenBefore('e2')).toBe(false);
  });

  it('remembers only the last `capacity` ids', () => {
    const recent = new RecentEventIds(2);
    for (const id of ['e1', 'e2', 'e3']) recent.seenBefore(id);
    expect(recent.seenBefore('e3')).toBe(true);
    expect(recent.seenBefore('e1')).toBe(false);
  });
});

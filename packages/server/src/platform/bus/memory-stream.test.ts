import { describe, expect, it } from 'vitest';
import { createMemoryBus } from './memory-bus.js';
import { MemoryStream } from './memory-stream.js';

const readAll = (stream: MemoryStream<number>, reader: ReturnType<MemoryStream<number>['open']>): number[] => {
  const seen: number[] = [];
  for (let event = stream.next(reader); event !== undefined; event = stream.next(reader)) {
    seen.push(event);
    stream.advance(reader);
  }
  return seen;
};

describe('the memory bus’s durable stream', () => {
  it('holds a bounded number of events once every reader has read them, however many were appended', () => {
    const stream = new MemoryStream<number>({ keepRecent: 2_000, maxRetained: 100_000 });
    const reader = stream.open('first');
    for (let index = 0; index < 50_000; index++) {
      stream.append(index);
      expect(stream.next(reader)).toBe(index);
      stream.advance(reader);
    }
    expect(stream.retained).toBeLessThan(2_000 + 1_024);
  });

  it('keeps every event a reader has yet to read, and gives them in order', () => {
    const stream = new MemoryStream<number>({ keepRecent: 0, maxRetained: 100_000 });
    const slow = stream.open('first');
    for (let index = 0; index < 20_000; index++) stream.append(index);
    expect(readAll(stream, slow)).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
  });

  it('keeps the recent past for a consumer opened later from the first event', () => {
    const stream = new MemoryStream<number>({ keepRecent: 3_000, maxRetained: 100_000 });
    for (let index = 0; index < 20_000; index++) stream.append(index);
    const late = stream.open('first');
    const seen = readAll(stream, late);
    expect(seen.length).toBeGreaterThanOrEqual(3_000);
    expect(seen.at(-1)).toBe(19_999);
    expect(stream.next(stream.open('new'))).toBeUndefined();
  });

  it('drops past the cap even for a reader that fell behind, which then goes on from the oldest kept', () => {
    const stream = new MemoryStream<number>({ keepRecent: 0, maxRetained: 5_000 });
    const stuck = stream.open('first');
    for (let index = 0; index < 20_000; index++) stream.append(index);
    expect(stream.retained).toBeLessThan(5_000 + 1_024);
    const seen = readAll(stream, stuck);
    expect(seen.at(-1)).toBe(19_999);
    expect(seen[0]).toBeGreaterThan(0);
  });

  it('lets a closed reader’s events go', () => {
    const stream = new MemoryStream<number>({ keepRecent: 0, maxRetained: 100_000 });
    const gone = stream.open('first');
    for (let index = 0; index < 10_000; index++) stream.append(index);
    expect(stream.retained).toBe(10_000);
    stream.close(gone);
    expect(stream.retained).toBe(0);
  });

  it('bounds the memory bus of a long-running process while its consumer gets every event once, in order', async () => {
    const bus = createMemoryBus({ keepRecent: 1_000, maxRetained: 100_000 });
    const received: number[] = [];
    const stop = await bus.consume('ledger', 'kaif.ev.test.>', async (payload) => {
      received.push((payload as { n: number }).n);
    });
    for (let round = 0; round < 20; round++) {
      await bus.publishDurableBatch(Array.from({ length: 1_000 }, (_, index) => ({ subject: 'kaif.ev.test.n', id: `${round}-${index}`, payload: { n: round * 1_000 + index } })));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect.poll(() => received.length).toBe(20_000);
    expect(received).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
    expect(bus.retainedEvents()).toBeLessThan(1_000 + 1_024);
    stop();
    await bus.close();
  });
});

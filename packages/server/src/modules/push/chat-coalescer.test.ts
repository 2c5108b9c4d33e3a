import type { ChatId } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyValueStore } from '../../platform/kv/memory-key-value-store.js';
import { createLogger } from '../../platform/logging/logger.js';
import { ChatCoalescer, type Turn } from './chat-coalescer.js';

const CHAT = 'c0ffee00-0000-4000-8000-000000000001' as ChatId;
const OTHER = 'c0ffee00-0000-4000-8000-000000000002' as ChatId;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A coalescer over the memory store whose notifications are recorded, and finish sending when `finish` is called. */
function harness(intervalMs: number, maxIntervalMs = intervalMs) {
  const notified: { chatId: ChatId; turn: Turn<string>; at: number }[] = [];
  const finishers: (() => void)[] = [];
  let folded = 0;
  const coalescer = new ChatCoalescer<string>(
    createMemoryKeyValueStore(),
    { baseMs: intervalMs, maxMs: maxIntervalMs },
    async (chatId, turn) => {
      notified.push({ chatId, turn, at: performance.now() });
      return { sent: new Promise<void>((resolve) => finishers.push(resolve)) };
    },
    () => folded++,
    createLogger('silent'),
  );
  const finishAll = () => {
    for (const finish of finishers.splice(0)) finish();
  };
  return { coalescer, notified, finishAll, folded: () => folded };
}

describe('one notification per chat per turn', () => {
  it('notifies the first message of a quiet chat at once and folds the rest into one at the end of the interval', async () => {
    const { coalescer, notified, finishAll, folded } = harness(100);
    await coalescer.offer(CHAT, 'm1');
    expect(notified.map((entry) => entry.turn)).toEqual([{ latest: 'm1', folded: 1 }]);
    finishAll();
    for (const message of ['m2', 'm3', 'm4']) await coalescer.offer(CHAT, message);
    expect(notified).toHaveLength(1);
    expect(folded()).toBe(3);
    await sleep(150);
    expect(notified.map((entry) => entry.turn)).toEqual([
      { latest: 'm1', folded: 1 },
      { latest: 'm4', folded: 3 },
    ]);
    coalescer.stop();
  });

  it('keeps folding until the chat’s previous notification has been sent', async () => {
    const { coalescer, notified, finishAll } = harness(50);
    await coalescer.offer(CHAT, 'm1');
    await coalescer.offer(CHAT, 'm2');
    await sleep(120);
    // The interval is over, but m1's pushes are still going out: m2 waits, and m3 joins it.
    await coalescer.offer(CHAT, 'm3');
    expect(notified).toHaveLength(1);
    finishAll();
    await sleep(20);
    expect(notified.map((entry) => entry.turn)).toEqual([
      { latest: 'm1', folded: 1 },
      { latest: 'm3', folded: 2 },
    ]);
    coalescer.stop();
  });

  it('gives every chat its own turn', async () => {
    const { coalescer, notified } = harness(1000);
    await coalescer.offer(CHAT, 'a');
    await coalescer.offer(OTHER, 'b');
    expect(notified.map((entry) => entry.chatId)).toEqual([CHAT, OTHER]);
    coalescer.stop();
  });

  it('spaces a busy chat’s notifications out, doubling its interval up to the longest, and notifies at once again after a quiet interval', async () => {
    const { coalescer, notified, finishAll } = harness(60, 240);
    const started = performance.now();
    let n = 0;
    // A message every 10 ms for 700 ms: turns at 0, then ~60, ~180 (120 later), ~420 (240 later), ~660 (240: the longest).
    while (performance.now() - started < 700) {
      await coalescer.offer(CHAT, `m${++n}`);
      finishAll();
      await sleep(10);
    }
    const gaps = notified.slice(1).map((entry, index) => entry.at - notified[index]!.at);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(55);
    expect(gaps[0]).toBeLessThan(110);
    expect(gaps[1]).toBeGreaterThanOrEqual(110);
    expect(gaps[2]).toBeGreaterThanOrEqual(220);
    expect(Math.max(...gaps)).toBeLessThan(240 + 80);
    // Every message is in some notification: the last turn stands for those folded since the one before.
    await sleep(300);
    finishAll();
    expect(notified.reduce((sum, entry) => sum + entry.turn.folded, 0)).toBe(n);
    // Quiet for longer than the longest interval: the next message is notified at once.
    await sleep(300);
    const before = notified.length;
    await coalescer.offer(CHAT, 'after the quiet');
    expect(notified).toHaveLength(before + 1);
    expect(notified.at(-1)!.turn).toEqual({ latest: 'after the quiet', folded: 1 });
    coalescer.stop();
  });
});

import type { ChatId } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyValueStore } from '../../platform/kv/memory-key-value-store.js';
import { createLogger } from '../../platform/logging/logger.js';
import { ChatCoalescer, type Turn } from './chat-coalescer.js';

const CHAT = 'c0ffee00-0000-4000-8000-000000000001' as ChatId;
const OTHER = 'c0ffee00-0000-4000-8000-000000000002' as ChatId;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A coalescer over the memory store whose notifications are recorded, and finish sending when `finish` is called. */
function harness(intervalMs: number) {
  const notified: { chatId: ChatId; turn: Turn<string> }[] = [];
  const finishers: (() => void)[] = [];
  let folded = 0;
  const coalescer = new ChatCoalescer<string>(
    createMemoryKeyValueStore(),
    intervalMs,
    async (chatId, turn) => {
      notified.push({ chatId, turn });
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
});

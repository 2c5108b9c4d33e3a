import { describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { createDegradingKeyValueStore } from './degrading-key-value-store.js';
import type { KeyValueStore } from './key-value-store.js';
import { createMemoryKeyValueStore } from './memory-key-value-store.js';

/** A shared store that can be switched off, like Redis going away. */
function switchableStore(): { store: KeyValueStore; down: (isDown: boolean) => void } {
  const inner = createMemoryKeyValueStore();
  let isDown = false;
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A) =>
      isDown ? Promise.reject(new Error('connection refused')) : call(...args);
  return {
    down: (value) => {
      isDown = value;
    },
    store: {
      ...inner,
      get: guard(inner.get),
      getMany: guard(inner.getMany),
      set: guard(inner.set),
      setIfAbsent: guard(inner.setIfAbsent),
      delete: guard(inner.delete),
      increment: guard(inner.increment),
      check: guard(inner.check),
    },
  };
}

describe('degrading key-value store', () => {
  it('serves from the shared store while it is up', async () => {
    const shared = switchableStore();
    const kv = createDegradingKeyValueStore(shared.store, createMemoryKeyValueStore(), adapterDeps('kv').logger);
    await kv.set('presence:u1', 'online');
    expect(await shared.store.get('presence:u1')).toBe('online');
  });

  it('keeps answering from node-local state while the shared store is down, and says so once', async () => {
    const shared = switchableStore();
    const { logger, lines } = adapterDeps('kv');
    const kv = createDegradingKeyValueStore(shared.store, createMemoryKeyValueStore(), logger);
    shared.down(true);
    await kv.set('presence:u1', 'online', 60_000);
    expect(await kv.get('presence:u1')).toBe('online');
    expect(await kv.increment('typing:u1', 1, 3000)).toBe(1);
    await expect(kv.check()).rejects.toThrow('connection refused');
    expect(lines.filter((line) => line.includes('node-local fallback'))).toHaveLength(1);
  });

  it('returns to the shared store when it comes back', async () => {
    const shared = switchableStore();
    const { logger, lines } = adapterDeps('kv');
    const kv = createDegradingKeyValueStore(shared.store, createMemoryKeyValueStore(), logger);
    shared.down(true);
    await kv.set('k', 'local');
    shared.down(false);
    await kv.set('k', 'shared');
    expect(await shared.store.get('k')).toBe('shared');
    expect(lines.some((line) => line.includes('is back'))).toBe(true);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { ENGINE_URLS, engineAvailable, scratchPrefix } from '../../../../../test/support/engines.js';
import type { KeyValueStore } from './key-value-store.js';
import { createMemoryKeyValueStore } from './memory-key-value-store.js';
import { openRedisKeyValueStore } from './redis-key-value-store.js';

const IMPLEMENTATIONS: { name: string; open: () => Promise<KeyValueStore> }[] = [
  { name: 'memory', open: async () => createMemoryKeyValueStore() },
  ...(engineAvailable('redis')
    ? [
        {
          name: 'redis',
          open: () => openRedisKeyValueStore(ENGINE_URLS.redis!, { ...adapterDeps('redis'), keyPrefix: scratchPrefix() }),
        },
      ]
    : []),
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const implementation of IMPLEMENTATIONS) {
  describe(`key-value store contract: ${implementation.name}`, () => {
    const stores: KeyValueStore[] = [];
    const open = async () => {
      const store = await implementation.open();
      stores.push(store);
      return store;
    };
    afterAll(async () => {
      for (const store of stores) await store.close();
    });

    it('reads back what it stored, and nothing for a missing key', async () => {
      const kv = await open();
      await kv.set('greeting', 'hello');
      expect(await kv.get('greeting')).toBe('hello');
      expect(await kv.get('missing')).toBeNull();
      expect(await kv.getMany(['greeting', 'missing'])).toEqual(['hello', null]);
      await kv.delete('greeting');
      expect(await kv.get('greeting')).toBeNull();
    });

    it('forgets a key after its TTL', async () => {
      const kv = await open();
      await kv.set('short', 'x', 150);
      expect(await kv.get('short')).toBe('x');
      await sleep(300);
      expect(await kv.get('short')).toBeNull();
    });

    it('sets only the first of several racing setIfAbsent calls', async () => {
      const kv = await open();
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => kv.setIfAbsent('lock', String(index), 5000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('counts atomically under concurrency and keeps the first TTL', async () => {
      const kv = await open();
      const values = await Promise.all(Array.from({ length: 50 }, () => kv.increment('hits', 1, 200)));
      expect(new Set(values).size).toBe(50);
      expect(Math.max(...values)).toBe(50);
      await sleep(350);
      expect(await kv.increment('hits', 1, 200)).toBe(1);
    });

    it('limits with a rate limiter shared by every caller of the store', async () => {
      const kv = await open();
      const limiter = kv.rateLimiter({ keyPrefix: 'login', points: 3, durationSeconds: 60 });
      for (let attempt = 0; attempt < 3; attempt++) await limiter.consume('alice');
      await expect(limiter.consume('alice')).rejects.toMatchObject({ msBeforeNext: expect.any(Number) });
      await expect(limiter.consume('bob')).resolves.toBeDefined();
    });

    it('reports itself healthy', async () => {
      const kv = await open();
      expect((await kv.check()).status).toBe('up');
    });
  });
}

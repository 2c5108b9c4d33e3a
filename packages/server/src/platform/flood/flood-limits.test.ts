import { describe, expect, it } from 'vitest';
import type { KaifError } from '../http/kaif-error.js';
import { createMemoryKeyValueStore } from '../kv/memory-key-value-store.js';
import type { KeyValueStore } from '../kv/key-value-store.js';
import { createLogger } from '../logging/logger.js';
import { createFloodLimits } from './flood-limits.js';

/** The memory store, counting how often a limiter asks it. */
function countingStore() {
  const store = createMemoryKeyValueStore();
  const asked: string[] = [];
  const kv: KeyValueStore = {
    ...store,
    rateLimiter(options) {
      const limiter = store.rateLimiter(options);
      const consume = limiter.consume.bind(limiter);
      limiter.consume = (key, points) => {
        asked.push(`${options.keyPrefix}:${key}`);
        return consume(key, points);
      };
      return limiter;
    },
  };
  return { kv, asked };
}

const outcome = (charge: Promise<number>) => charge.then((remaining) => remaining, (error: KaifError) => error.code);

describe('flood limits', () => {
  it('asks the store once for the charges of one user made in one turn, and answers each as if it were alone', async () => {
    const { kv, asked } = countingStore();
    const limits = createFloodLimits(kv, createLogger('silent'), { perMinute: 5 });
    const charges = [limits.consumeUser('u1'), limits.consumeUser('u1', 2), limits.consumeUser('u2'), limits.consumeUser('u1', 2), limits.consumeUser('u1')];
    expect(await Promise.all(charges.map(outcome))).toEqual([4, 2, 4, 0, 'FLOOD_WAIT']);
    expect(asked).toEqual(['rl:user:u1', 'rl:user:u2']);
  });

  it('refuses past the budget with a wait to retry after, in a later turn too', async () => {
    const { kv } = countingStore();
    const limits = createFloodLimits(kv, createLogger('silent'), { perMinute: 1 });
    await limits.consumeUser('u1');
    await expect(limits.consumeUser('u1')).rejects.toMatchObject({ code: 'FLOOD_WAIT', retryAfter: expect.any(Number) });
    await expect(limits.consumeIp('203.0.113.7', 5)).resolves.toBeUndefined();
    await expect(limits.consumeIp('203.0.113.7')).rejects.toMatchObject({ code: 'FLOOD_WAIT' });
  });
});

import { describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { KaifError } from '../http/kaif-error.js';

const outage = () => Promise.reject(new Error('ECONNREFUSED'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dependency policy', () => {
  it('opens after consecutive outages and then fails fast with DEPENDENCY_UNAVAILABLE and a retry hint', async () => {
    const { policy, lines } = adapterDeps('redis', { breakAfter: 3, halfOpenAfterMs: 60_000 });
    for (let attempt = 0; attempt < 3; attempt++) await expect(policy.execute(outage)).rejects.toThrow('ECONNREFUSED');
    expect(policy.state).toBe('open');
    let called = false;
    const error = await policy
      .execute(async () => {
        called = true;
      })
      .catch((caught: unknown) => caught);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(KaifError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503, retryAfter: 60 });
    expect(lines.filter((line) => line.includes('circuit breaker changed state'))).toHaveLength(1);
  });

  it('lets one trial call through after the pause and closes again when it succeeds', async () => {
    const { policy } = adapterDeps('nats', { breakAfter: 1, halfOpenAfterMs: 100 });
    await expect(policy.execute(outage)).rejects.toThrow();
    expect(policy.state).toBe('open');
    await sleep(150);
    await expect(policy.execute(async () => 'ok')).resolves.toBe('ok');
    expect(policy.state).toBe('closed');
  });

  it('reopens when the trial call fails', async () => {
    const { policy } = adapterDeps('nats', { breakAfter: 1, halfOpenAfterMs: 100 });
    await expect(policy.execute(outage)).rejects.toThrow();
    await sleep(150);
    await expect(policy.execute(outage)).rejects.toThrow('ECONNREFUSED');
    expect(policy.state).toBe('open');
  });

  it('does not count a caller’s own mistakes (constraint violations, typed errors) as outages', async () => {
    const { policy } = adapterDeps('postgres', { breakAfter: 2 });
    const uniqueViolation = Object.assign(new Error('duplicate key'), { code: '23505' });
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(policy.execute(() => Promise.reject(uniqueViolation))).rejects.toBe(uniqueViolation);
      await expect(policy.execute(() => Promise.reject(new KaifError('CHAT_NOT_FOUND')))).rejects.toMatchObject({
        code: 'CHAT_NOT_FOUND',
      });
    }
    expect(policy.state).toBe('closed');
  });

  it('retries idempotent calls with backoff, and never retries the others', async () => {
    const { policy } = adapterDeps('redis', { maxAttempts: 3, breakAfter: 100 });
    let idempotentCalls = 0;
    await expect(
      policy.execute(
        async () => {
          idempotentCalls++;
          if (idempotentCalls < 3) throw new Error('blip');
          return 'done';
        },
        { idempotent: true },
      ),
    ).resolves.toBe('done');
    expect(idempotentCalls).toBe(3);
    let writes = 0;
    await expect(
      policy.execute(async () => {
        writes++;
        throw new Error('blip');
      }),
    ).rejects.toThrow('blip');
    expect(writes).toBe(1);
  });

  it('abandons a call that outlives its timeout', async () => {
    const { policy } = adapterDeps('postgres', { timeoutMs: 50 });
    const started = Date.now();
    await expect(policy.execute(() => sleep(2000))).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('refuses calls beyond its bulkhead instead of queueing without bound', async () => {
    const { policy } = adapterDeps('redis', { concurrency: 2, queue: 1 });
    const slow = () => policy.execute(() => sleep(100));
    const results = await Promise.allSettled([slow(), slow(), slow(), slow()]);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});

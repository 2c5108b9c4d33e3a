import { describe, expect, it } from 'vitest';
import { effectiveWorkers } from './run-workers.js';

describe('effectiveWorkers', () => {
  it('runs one process on the embedded engines, and says why', () => {
    const result = effectiveWorkers({ KAIF_WORKERS: 4, DATABASE_URL: undefined, NATS_URL: 'nats://x', REDIS_URL: 'redis://x' });
    expect(result.workers).toBe(1);
    expect(result.reason).toContain('DATABASE_URL, NATS_URL and REDIS_URL');
    expect(effectiveWorkers({ KAIF_WORKERS: 4, DATABASE_URL: 'postgres://x', NATS_URL: undefined, REDIS_URL: 'redis://x' }).workers).toBe(1);
    expect(effectiveWorkers({ KAIF_WORKERS: 4, DATABASE_URL: 'postgres://x', NATS_URL: 'nats://x', REDIS_URL: undefined }).workers).toBe(1);
  });

  it('runs the requested workers on shared engines', () => {
    expect(effectiveWorkers({ KAIF_WORKERS: 4, DATABASE_URL: 'postgres://x', NATS_URL: 'nats://x', REDIS_URL: 'redis://x' })).toEqual({
      workers: 4,
    });
  });
});

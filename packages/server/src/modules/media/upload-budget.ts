import { RateLimiterRes } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import { KaifError } from '../../platform/http/kaif-error.js';

/** Uploads one user may start per minute, cluster-wide: past it FLOOD_WAIT with the seconds to wait. */
export interface UploadBudget {
  consume(userId: string): Promise<void>;
}

export function createUploadBudget(kv: KeyValueStore, perMinute: number): UploadBudget {
  const limiter = kv.rateLimiter({ keyPrefix: 'rl:media-upload', points: perMinute, durationSeconds: 60 });
  return {
    async consume(userId) {
      try {
        await limiter.consume(userId);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new KaifError('FLOOD_WAIT', 'Too many uploads; wait before retrying', { retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) });
      }
    },
  };
}

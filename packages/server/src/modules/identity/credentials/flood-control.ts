import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { KeyValueStore } from '../../../platform/kv/key-value-store.js';

export interface FloodLimits {
  /** Failed sign-ins per account (known or not) per window. */
  readonly failedLoginsPerAccount: number;
  readonly failedLoginsPerIp: number;
  /** Wrong TOTP or recovery codes per account per window. */
  readonly failedCodesPerAccount: number;
  readonly failureWindowSeconds: number;
  readonly registrationsPerIp: number;
  readonly registrationWindowSeconds: number;
}

/** The original design's 5 failures per 15 minutes per account; a crowded NAT gets more per IP. */
export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  failedLoginsPerAccount: 5,
  failedLoginsPerIp: 50,
  failedCodesPerAccount: 5,
  failureWindowSeconds: 15 * 60,
  registrationsPerIp: 100,
  registrationWindowSeconds: 60 * 60,
};

export type FloodCounter = 'login-account' | 'login-ip' | 'code-account' | 'register-ip';

/**
 * Counts attempts before their outcome is known and refunds the ones that
 * succeed, so parallel guesses cannot slip past the limit: the (n+1)th
 * attempt in a window is refused with FLOOD_WAIT and its retry-after, on
 * every node sharing the store.
 */
export class FloodControl {
  private readonly limiters: Readonly<Record<FloodCounter, RateLimiterAbstract>>;

  constructor(kv: KeyValueStore, limits: FloodLimits) {
    const failures = (keyPrefix: string, points: number) =>
      kv.rateLimiter({ keyPrefix, points, durationSeconds: limits.failureWindowSeconds });
    this.limiters = {
      'login-account': failures('identity-login-account', limits.failedLoginsPerAccount),
      'login-ip': failures('identity-login-ip', limits.failedLoginsPerIp),
      'code-account': failures('identity-code-account', limits.failedCodesPerAccount),
      'register-ip': kv.rateLimiter({
        keyPrefix: 'identity-register-ip',
        points: limits.registrationsPerIp,
        durationSeconds: limits.registrationWindowSeconds,
      }),
    };
  }

  /** Counts one attempt; throws FLOOD_WAIT once the window's allowance is spent. */
  async attempt(counter: FloodCounter, key: string): Promise<void> {
    try {
      await this.limiters[counter].consume(key, 1);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new KaifError('FLOOD_WAIT', `Too many attempts; retry in ${retryAfter} seconds`, { retryAfter });
      }
      throw new KaifError('DEPENDENCY_UNAVAILABLE', undefined, { retryAfter: 5 });
    }
  }

  /** Gives back an attempt that turned out fine. */
  async refund(counter: FloodCounter, key: string): Promise<void> {
    await this.limiters[counter].reward(key, 1).catch(() => undefined);
  }

  /** Clears an account's failures after it proves itself. */
  async reset(counter: FloodCounter, key: string): Promise<void> {
    await this.limiters[counter].delete(key).catch(() => false);
  }
}

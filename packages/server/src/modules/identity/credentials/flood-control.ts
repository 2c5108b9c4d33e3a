import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { KeyValueStore } from '../../../platform/kv/key-value-store.js';
import type { LoginThrottleLimits } from './login-throttle.js';

export interface FloodLimits extends LoginThrottleLimits {
  /** Wrong TOTP or recovery codes, and wrong current passwords of a signed-in user, per account per window. */
  readonly failedCodesPerAccount: number;
  readonly failureWindowSeconds: number;
  readonly registrationsPerIp: number;
  readonly registrationWindowSeconds: number;
}

/**
 * Sign-in: 5 free failures per (account, IP), then waits from 1 s to 15 min;
 * 20 failures per account a minute across addresses (Synapse's rc_login
 * allows a burst of 3 at 0.17/s); 50 per address in 15 minutes.
 */
export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  freeLoginFailures: 5,
  maxLoginWaitSeconds: 15 * 60,
  loginPairMemorySeconds: 24 * 60 * 60,
  failedLoginsPerAccount: 20,
  accountWindowSeconds: 60,
  failedLoginsPerIp: 50,
  ipWindowSeconds: 15 * 60,
  failedCodesPerAccount: 5,
  failureWindowSeconds: 15 * 60,
  registrationsPerIp: 100,
  registrationWindowSeconds: 60 * 60,
};

export type FloodCounter = 'code-account' | 'password-account' | 'register-ip';

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
      'code-account': failures('identity-code-account', limits.failedCodesPerAccount),
      'password-account': failures('identity-password-account', limits.failedCodesPerAccount),
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
}

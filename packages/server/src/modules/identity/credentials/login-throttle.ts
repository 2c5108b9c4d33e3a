import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { KeyValueStore } from '../../../platform/kv/key-value-store.js';

export interface LoginThrottleLimits {
  /** Failures one (account, IP) pair may make before each further attempt must wait. */
  readonly freeLoginFailures: number;
  /** The longest wait between two attempts of one pair; waits double up to it from 1 s. */
  readonly maxLoginWaitSeconds: number;
  /** How long a pair's failures are remembered (from its first one). */
  readonly loginPairMemorySeconds: number;
  /** Failed sign-ins per account from every address together, per `accountWindowSeconds`. */
  readonly failedLoginsPerAccount: number;
  readonly accountWindowSeconds: number;
  /** Failed sign-ins per address across accounts, per `ipWindowSeconds`. */
  readonly failedLoginsPerIp: number;
  readonly ipWindowSeconds: number;
}

/** Who is signing in from where. `userId` is absent for a login that names no account. */
export interface LoginAttempt {
  readonly accountKey: string;
  readonly userId: string | undefined;
  readonly ip: string;
}

/** An address the account signed in from stays known this long after its last success. */
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Password sign-in throttling after OWASP's authentication cheat sheet and
 * Synapse's `rc_login`, built so that nobody can lock anybody else out:
 *
 * - per (account, IP) pair: a few free failures, then every attempt waits
 *   1 s, 2 s, 4 s … up to `maxLoginWaitSeconds` after the previous one. A
 *   stranger slows only their own pair; the owner elsewhere is untouched.
 * - per account across every address, with a short window: only a guessing
 *   campaign spread over many addresses reaches it (one address is held far
 *   below it by its pair's waits).
 * - per address across accounts: credential stuffing from one address.
 *
 * The last two do not apply to an address the account signed in from before
 * (see the identity README: a known address beats a device cookie because
 * every client, SDK and CosmicProto tool has one without storing anything).
 *
 * Every attempt is counted before its outcome is known and given back when
 * it succeeds, so parallel guesses cannot slip past a limit; all counters
 * live in the shared store, so they hold on every node.
 */
export class LoginThrottle {
  private readonly pairFailures: RateLimiterAbstract;
  /** Blocked while a pair must wait; an attempt takes its only point, so parallel attempts get one turn. */
  private readonly pairTurn: RateLimiterAbstract;
  private readonly accountFailures: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly limits: LoginThrottleLimits,
  ) {
    this.pairFailures = kv.rateLimiter({
      keyPrefix: 'identity-login-pair',
      points: limits.freeLoginFailures,
      durationSeconds: limits.loginPairMemorySeconds,
    });
    this.pairTurn = kv.rateLimiter({ keyPrefix: 'identity-login-pair-turn', points: 1, durationSeconds: 1 });
    this.accountFailures = kv.rateLimiter({
      keyPrefix: 'identity-login-account',
      points: limits.failedLoginsPerAccount,
      durationSeconds: limits.accountWindowSeconds,
    });
    this.ipFailures = kv.rateLimiter({
      keyPrefix: 'identity-login-ip',
      points: limits.failedLoginsPerIp,
      durationSeconds: limits.ipWindowSeconds,
    });
  }

  /** Counts the attempt; throws FLOOD_WAIT with its retry-after when it must wait. */
  async admit(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    const failures = (await guarded(() => this.pairFailures.penalty(pair, 1))).consumedPoints;
    const giveBack = () => this.pairFailures.reward(pair, 1).catch(() => undefined);
    // From the last free attempt on, one at a time: parallel attempts find the turn taken.
    if (failures >= this.limits.freeLoginFailures) {
      const turn = await settle(this.pairTurn.consume(pair, 1));
      if (turn) {
        await giveBack();
        throw turn;
      }
    }
    const refusal = (await settle(this.accountFailures.consume(attempt.accountKey, 1))) ?? (await settle(this.ipFailures.consume(attempt.ip, 1)));
    if (refusal && !(await this.isKnownAddress(attempt))) {
      await giveBack();
      throw refusal;
    }
    if (failures >= this.limits.freeLoginFailures) {
      // Until this attempt is known to have failed, the next one waits as if it had.
      await guarded(() => this.pairTurn.block(pair, waitSeconds(failures, this.limits)));
    }
  }

  /** The password was right: forget the pair's failures and give back the shared counts. */
  async passwordAccepted(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    await Promise.all([
      this.pairFailures.delete(pair).catch(() => false),
      this.pairTurn.delete(pair).catch(() => false),
      this.accountFailures.reward(attempt.accountKey, 1).catch(() => undefined),
      this.ipFailures.reward(attempt.ip, 1).catch(() => undefined),
    ]);
  }

  /** Marks an address the account signed in (or registered) from as known: called once a session exists. */
  async remember(userId: string, ip: string): Promise<void> {
    await this.kv.set(knownAddressKey(userId, ip), '1', KNOWN_ADDRESS_MS).catch(() => undefined);
  }

  private async isKnownAddress(attempt: LoginAttempt): Promise<boolean> {
    if (attempt.userId === undefined) return false;
    return (await this.kv.get(knownAddressKey(attempt.userId, attempt.ip)).catch(() => null)) !== null;
  }
}

/** 1 s after the last free failure, doubling with each further one, up to the cap. */
export function waitSeconds(failures: number, limits: Pick<LoginThrottleLimits, 'freeLoginFailures' | 'maxLoginWaitSeconds'>): number {
  const beyondFree = Math.max(0, failures - limits.freeLoginFailures);
  return Math.min(limits.maxLoginWaitSeconds, 2 ** Math.min(beyondFree, 30));
}

const pairKey = (attempt: LoginAttempt) => `${attempt.accountKey}|${attempt.ip}`;
const knownAddressKey = (userId: string, ip: string) => `identity:known-address:${userId}:${ip}`;

function floodWait(rejection: unknown): KaifError {
  if (!(rejection instanceof RateLimiterRes)) return new KaifError('DEPENDENCY_UNAVAILABLE', undefined, { retryAfter: 5 });
  const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
  return new KaifError('FLOOD_WAIT', `Too many attempts; retry in ${retryAfter} seconds`, { retryAfter });
}

/** The limiter's answer, or DEPENDENCY_UNAVAILABLE when the store (and its insurance) failed. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (rejection) {
    throw floodWait(rejection);
  }
}

/** Undefined when the count was taken, the FLOOD_WAIT (or store failure) otherwise. */
async function settle(consumed: Promise<unknown>): Promise<KaifError | undefined> {
  try {
    await consumed;
    return undefined;
  } catch (rejection) {
    return floodWait(rejection);
  }
}

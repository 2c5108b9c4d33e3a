import type { UserId } from '@kaif/protocol';
import type { Transaction } from 'kysely';

/** The saga's open transaction, when escrow lives in the same database (the wallet module): the money and the order's state then commit together. */
// biome-ignore lint/suspicious/noExplicitAny: any module's table types
export type SharedTransaction = Transaction<any>;

/** The outcome of placing a hold: the hold, or why there is none. */
export type HoldResult = { readonly ok: true; readonly holdId: string } | { readonly ok: false; readonly reason: 'insufficient_funds' };

/**
 * What the order saga needs from the wallet: escrow. Every call carries an
 * idempotency key derived from the order and the step (`order:<id>:hold`),
 * so a saga resumed after a crash repeats a call harmlessly: the same key
 * returns the first call's result and moves no money twice. A thrown error
 * means "unknown, retry later" (the wallet was unreachable); a refusal that
 * will not change is a result (`insufficient_funds`), and the caller's
 * transaction (if one was given) is then still usable.
 */
export interface Payments {
  /** Moves `amount` of the buyer's `asset` into escrow. */
  hold(input: {
    readonly userId: UserId;
    readonly asset: string;
    readonly amount: string;
    readonly idempotencyKey: string;
    readonly reference: string;
  }, trx?: SharedTransaction): Promise<HoldResult>;
  /** Pays the held amount to the seller; the hold ends. */
  release(input: { readonly holdId: string; readonly toUserId: UserId; readonly idempotencyKey: string }, trx?: SharedTransaction): Promise<void>;
  /** Gives the held amount back to the buyer; the hold ends. */
  refund(input: { readonly holdId: string; readonly idempotencyKey: string }, trx?: SharedTransaction): Promise<void>;
  /**
   * Gas an on-chain step of the order burned, charged to a user in the
   * chain's native asset (the coin left for the chain, so the platform owes
   * that much less on chain), at most what they hold: returns what was
   * charged. Once per key.
   */
  chargeChainGas(input: { readonly userId: UserId; readonly asset: string; readonly amount: bigint; readonly idempotencyKey: string; readonly reference: string }, trx?: SharedTransaction): Promise<bigint>;
}

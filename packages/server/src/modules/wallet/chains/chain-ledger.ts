import type { Posting, WalletApi } from '../api.js';
import type { ChainTrx, DepositLedger, ObservedDeposit } from './deposit-watcher.js';

const WATCHER = { kind: 'system', id: 'chain-watcher' } as const;
const WITHDRAWALS = { kind: 'system', id: 'withdrawal-worker' } as const;

export interface WithdrawalAmounts {
  readonly id: string;
  readonly userId: string;
  readonly asset: string;
  readonly amount: bigint;
  readonly fee: bigint;
}

/**
 * The chain side's postings on the wallet ledger (wallet README "Kinds chain
 * code posts"), each inside the caller's transaction with its own state
 * change, under the documented idempotency keys.
 */
export class ChainLedger implements DepositLedger {
  constructor(private readonly wallet: WalletApi) {}

  async credit(trx: ChainTrx, deposit: ObservedDeposit, idempotencyKey: string): Promise<void> {
    await this.wallet.post(
      {
        idempotencyKey,
        kind: 'deposit',
        actor: WATCHER,
        metadata: { txHash: deposit.txHash, block: deposit.blockNumber.toString() },
        postings: [
          { account: { platform: 'chain_clearing' }, asset: deposit.asset, amount: -deposit.amount },
          { account: { user: deposit.userId }, asset: deposit.asset, amount: deposit.amount },
        ],
      },
      trx,
    );
  }

  async reverse(trx: ChainTrx, deposit: ObservedDeposit, idempotencyKey: string): Promise<void> {
    await this.wallet.post(
      {
        idempotencyKey,
        kind: 'deposit.reversal',
        actor: WATCHER,
        metadata: { txHash: deposit.txHash, block: deposit.blockNumber.toString(), reason: 'reorg' },
        postings: [
          { account: { user: deposit.userId }, asset: deposit.asset, amount: -deposit.amount },
          { account: { platform: 'chain_clearing' }, asset: deposit.asset, amount: deposit.amount },
        ],
      },
      trx,
    );
  }

  /** user → pending_withdrawals, amount and fee; INSUFFICIENT_FUNDS when short (the caller's transaction rolls back). */
  async reserve(trx: ChainTrx, withdrawal: WithdrawalAmounts, actor: { id: string; sessionId: string | null }): Promise<void> {
    const total = withdrawal.amount + withdrawal.fee;
    await this.wallet.post(
      {
        idempotencyKey: `withdrawal.reserve:${withdrawal.id}`,
        kind: 'withdrawal.reserve',
        actor: { kind: 'user', id: actor.id, sessionId: actor.sessionId },
        metadata: { withdrawalId: withdrawal.id, amount: withdrawal.amount.toString(), fee: withdrawal.fee.toString() },
        postings: [
          { account: { user: withdrawal.userId }, asset: withdrawal.asset, amount: -total },
          { account: { platform: 'pending_withdrawals' }, asset: withdrawal.asset, amount: total },
        ],
      },
      trx,
    );
  }

  /**
   * Mined with N confirmations: the amount and the gas spent left for the
   * chain; what the fee charged leaves over the gas goes to the fees account.
   * The worker never lets gas pass the fee (replacements are capped), so
   * `fees` is never debited here.
   */
  async settle(trx: ChainTrx, withdrawal: WithdrawalAmounts, gasPaid: bigint, txHash: string): Promise<void> {
    const total = withdrawal.amount + withdrawal.fee;
    const spent = gasPaid > withdrawal.fee ? withdrawal.fee : gasPaid;
    const postings: Posting[] = [
      { account: { platform: 'pending_withdrawals' }, asset: withdrawal.asset, amount: -total },
      { account: { platform: 'chain_clearing' }, asset: withdrawal.asset, amount: withdrawal.amount + spent },
    ];
    if (withdrawal.fee - spent > 0n) postings.push({ account: { platform: 'fees' }, asset: withdrawal.asset, amount: withdrawal.fee - spent });
    await this.wallet.post(
      {
        idempotencyKey: `withdrawal.settle:${withdrawal.id}`,
        kind: 'withdrawal.settle',
        actor: WITHDRAWALS,
        metadata: { withdrawalId: withdrawal.id, txHash, gasPaid: gasPaid.toString() },
        postings,
      },
      trx,
    );
  }

  /**
   * Never mined, or reverted: the reserve goes back to the user. Gas a
   * reverted transaction burned is the platform's, taken from the fee.
   */
  async fail(trx: ChainTrx, withdrawal: WithdrawalAmounts, gasBurned: bigint, reason: string): Promise<void> {
    const total = withdrawal.amount + withdrawal.fee;
    const burned = gasBurned > withdrawal.fee ? withdrawal.fee : gasBurned;
    const postings: Posting[] = [
      { account: { platform: 'pending_withdrawals' }, asset: withdrawal.asset, amount: -total },
      { account: { user: withdrawal.userId }, asset: withdrawal.asset, amount: total - burned },
    ];
    if (burned > 0n) postings.push({ account: { platform: 'chain_clearing' }, asset: withdrawal.asset, amount: burned });
    await this.wallet.post(
      {
        idempotencyKey: `withdrawal.fail:${withdrawal.id}`,
        kind: 'withdrawal.fail',
        actor: WITHDRAWALS,
        metadata: { withdrawalId: withdrawal.id, reason },
        postings,
      },
      trx,
    );
  }
}

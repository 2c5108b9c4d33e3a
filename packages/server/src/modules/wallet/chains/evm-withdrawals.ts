import { Transaction as EvmTransaction, getAddress, isAddress } from 'ethers';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from '../../../platform/logging/logger.js';
import { type WithdrawalRow, runWithdrawalRound } from './withdrawal-round.js';
import type { ChainLedger, WithdrawalAmounts } from './chain-ledger.js';
import { type ChainKeys, EVM_HOT_WALLET_PATH } from './chain-keys.js';
import type { ChainTables, WithdrawalAttemptsTable } from './chain-tables.js';
import type { EvmChain, EvmFees } from './evm-chain.js';
import type { WithdrawalRail } from './withdrawal-requests.js';

/** A plain value transfer to an account without code costs exactly this much gas. */
export const TRANSFER_GAS = 21_000n;
/** The fee charged allows twice the fees suggested at request time, so replacements have room. */
const FEE_HEADROOM = 2n;
/** Nodes accept a replacement only with both fees at least 10% higher; we bump by 12.5%. */
const bump = (value: bigint) => (value * 1125n) / 1000n + 1n;

export interface EvmWithdrawalOptions {
  readonly confirmations: number;
  readonly stuckAfterMs: number;
}

/** Address checks and fee quotes of an EVM chain for the request side. */
export class EvmWithdrawalRail implements WithdrawalRail {
  constructor(private readonly chain: EvmChain) {}

  normalizeAddress(address: string): string | undefined {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address) || !isAddress(address)) return undefined;
    return getAddress(address);
  }

  async quoteFee(): Promise<bigint> {
    const fees = await this.chain.fees();
    return TRANSFER_GAS * fees.maxFeePerGas * FEE_HEADROOM;
  }
}

type AttemptRow = Selectable<WithdrawalAttemptsTable>;

/**
 * Signs and broadcasts withdrawals from the hot wallet of one EVM chain
 * (worker role), and settles them once mined with N confirmations.
 *
 * Exactly one broadcast per withdrawal, whatever the crashes:
 * - The nonce is reserved (hot_wallet_nonces, row-locked) and the signed
 *   raw transaction and its hash stored, in ONE database transaction,
 *   BEFORE anything is sent. A crash before that commit leaves nothing sent
 *   and nothing reserved; a crash after it leaves a `signed` withdrawal
 *   whose stored raw transaction is rebroadcast as is (same hash), never
 *   signed anew.
 * - A stuck transaction is replaced by a new attempt with the same nonce
 *   and fees 12.5% higher (stored before it is sent, like the first), up to
 *   the fee the user was charged; whichever attempt is mined settles it, and
 *   one nonce can be mined once.
 * - On start the nonce counter is reconciled with the chain's: it moves up
 *   to the chain's count when the hot wallet was used elsewhere.
 *
 * A withdrawal settles (pending → chain, unspent fee → fees) when its
 * transaction has N confirmations; a reverted one, or one whose nonce the
 * chain consumed with another transaction, fails and is refunded.
 */
export class EvmWithdrawalWorker {
  private readonly hotAddress: string;

  constructor(
    private readonly db: Kysely<ChainTables>,
    private readonly chain: EvmChain,
    private readonly keys: ChainKeys,
    private readonly ledger: ChainLedger,
    private readonly options: EvmWithdrawalOptions,
    private readonly logger: Logger,
  ) {
    this.hotAddress = keys.evmHotWalletAddress();
  }

  get asset(): string {
    return this.chain.asset;
  }

  get hotWalletAddress(): string {
    return this.hotAddress;
  }

  /** Reconciles the stored nonce with the chain's transaction count. */
  async reconcileNonce(): Promise<void> {
    const onChain = await this.chain.nonce(this.hotAddress, 'latest');
    await this.db
      .insertInto('wallet.hot_wallet_nonces')
      .values({ asset: this.asset, address: this.hotAddress, next_nonce: onChain.toString() })
      .onConflict((conflict) =>
        conflict.column('asset').doUpdateSet({
          next_nonce: sql`greatest(wallet.hot_wallet_nonces.next_nonce, excluded.next_nonce)`,
          address: this.hotAddress,
        }),
      )
      .execute();
  }

  round(): Promise<void> {
    return runWithdrawalRound(this.db, this.asset, this.logger, { signAndSend: (row) => this.signAndSend(row), advance: (row) => this.advance(row) });
  }


  private async signAndSend(row: WithdrawalRow): Promise<void> {
    const ceiling = BigInt(row.fee) / TRANSFER_GAS;
    const fees = capped(await this.chain.fees(), ceiling);
    const attempt = await this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .selectFrom('wallet.chain_withdrawals')
        .select('state')
        .where('id', '=', row.id)
        .forUpdate()
        .executeTakeFirst();
      if (claimed?.state !== 'reserved') return undefined;
      const counter = await trx
        .selectFrom('wallet.hot_wallet_nonces')
        .select('next_nonce')
        .where('asset', '=', this.asset)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const nonce = BigInt(counter.next_nonce);
      const signed = await this.sign(row, nonce, fees);
      await trx
        .updateTable('wallet.hot_wallet_nonces')
        .set({ next_nonce: (nonce + 1n).toString() })
        .where('asset', '=', this.asset)
        .execute();
      await trx
        .updateTable('wallet.chain_withdrawals')
        .set({ state: 'signed', nonce: nonce.toString(), updated_at: sql`now()` })
        .where('id', '=', row.id)
        .execute();
      const stored = {
        withdrawal_id: row.id,
        attempt: 1,
        tx_hash: signed.hash,
        raw_tx: signed.raw,
        max_fee_per_gas: fees.maxFeePerGas.toString(),
        max_priority_fee_per_gas: fees.maxPriorityFeePerGas.toString(),
        broadcast_at: null,
      };
      await trx.insertInto('wallet.withdrawal_attempts').values(stored).execute();
      return stored;
    });
    if (!attempt) return;
    this.logger.info({ asset: this.asset, withdrawalId: row.id, txHash: attempt.tx_hash }, 'withdrawal signed');
    await this.send(row.id, attempt);
  }

  /** Signs in memory with the hot wallet's key, opened from the sealed seed for this call only. */
  private async sign(row: WithdrawalRow, nonce: bigint, fees: EvmFees): Promise<{ raw: string; hash: string }> {
    const wallet = this.keys.walletAt(EVM_HOT_WALLET_PATH);
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: this.chain.chainId,
      nonce: Number(nonce),
      to: row.to_address,
      value: BigInt(row.amount),
      gasLimit: TRANSFER_GAS,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: EvmTransaction.from(raw).hash! };
  }

  private async send(withdrawalId: string, attempt: Pick<AttemptRow, 'attempt' | 'tx_hash' | 'raw_tx'>): Promise<void> {
    const outcome = await this.chain.broadcast(attempt.raw_tx);
    if (outcome.kind === 'refused') {
      this.logger.warn({ asset: this.asset, withdrawalId, txHash: attempt.tx_hash, reason: outcome.reason }, 'the node refused a withdrawal transaction; will retry');
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('wallet.withdrawal_attempts')
        .set({ broadcast_at: sql`coalesce(broadcast_at, now())` })
        .where('withdrawal_id', '=', withdrawalId)
        .where('attempt', '=', attempt.attempt)
        .execute();
      await trx
        .updateTable('wallet.chain_withdrawals')
        .set({ state: 'broadcast', updated_at: sql`now()` })
        .where('id', '=', withdrawalId)
        .where('state', '=', 'signed')
        .execute();
    });
    if (outcome.kind === 'sent') this.logger.info({ asset: this.asset, withdrawalId, txHash: attempt.tx_hash }, 'withdrawal broadcast');
  }

  private async advance(row: WithdrawalRow): Promise<void> {
    const attempts = await this.db
      .selectFrom('wallet.withdrawal_attempts')
      .selectAll()
      .where('withdrawal_id', '=', row.id)
      .orderBy('attempt', 'desc')
      .execute();
    const latest = attempts[0];
    if (!latest) return;
    for (const attempt of attempts) {
      const receipt = await this.chain.receipt(attempt.tx_hash);
      if (!receipt) continue;
      const head = await this.chain.head();
      if (head - receipt.blockNumber + 1n < BigInt(this.options.confirmations)) return;
      const gasPaid = receipt.gasUsed * receipt.effectiveGasPrice;
      await this.finish(row, receipt.status === 1 ? 'settled' : 'failed', { txHash: attempt.tx_hash, block: receipt.blockNumber, gasPaid });
      return;
    }
    const onChainNonce = await this.chain.nonce(this.hotAddress, 'latest');
    if (row.nonce !== null && onChainNonce > BigInt(row.nonce)) {
      // The nonce was mined, by none of our attempts (receipts checked above).
      await this.finish(row, 'failed', { txHash: null, block: null, gasPaid: 0n, reason: 'nonce consumed by another transaction' });
      return;
    }
    const age = Date.now() - new Date(latest.created_at).getTime();
    if (row.state === 'broadcast' && age > this.options.stuckAfterMs) {
      const replaced = await this.replace(row, latest);
      if (replaced) return this.send(row.id, replaced);
    }
    // Not mined yet: send the newest attempt again, byte for byte (a node
    // that dropped it takes it back; one that has it says "already known").
    await this.send(row.id, latest);
  }

  /** A new attempt with the same nonce and fees 12.5% higher, capped by the fee charged; undefined at the cap. */
  private async replace(row: WithdrawalRow, latest: AttemptRow): Promise<AttemptRow | undefined> {
    const ceiling = BigInt(row.fee) / TRANSFER_GAS;
    const current = await this.chain.fees();
    const wanted = {
      maxFeePerGas: max(bump(BigInt(latest.max_fee_per_gas)), current.maxFeePerGas),
      maxPriorityFeePerGas: max(bump(BigInt(latest.max_priority_fee_per_gas)), current.maxPriorityFeePerGas),
    };
    const fees = capped(wanted, ceiling);
    if (fees.maxFeePerGas <= BigInt(latest.max_fee_per_gas)) return undefined;
    const signed = await this.sign(row, BigInt(row.nonce!), fees);
    const stored = {
      withdrawal_id: row.id,
      attempt: latest.attempt + 1,
      tx_hash: signed.hash,
      raw_tx: signed.raw,
      max_fee_per_gas: fees.maxFeePerGas.toString(),
      max_priority_fee_per_gas: fees.maxPriorityFeePerGas.toString(),
      broadcast_at: null,
    };
    const inserted = await this.db
      .insertInto('wallet.withdrawal_attempts')
      .values(stored)
      .onConflict((conflict) => conflict.columns(['withdrawal_id', 'attempt']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) this.logger.info({ asset: this.asset, withdrawalId: row.id, txHash: signed.hash, attempt: stored.attempt }, 'stuck withdrawal replaced with higher fees');
    return inserted;
  }

  private async finish(
    row: WithdrawalRow,
    state: 'settled' | 'failed',
    outcome: { txHash: string | null; block: bigint | null; gasPaid: bigint; reason?: string },
  ): Promise<void> {
    const amounts: WithdrawalAmounts = { id: row.id, userId: row.user_id, asset: row.asset, amount: BigInt(row.amount), fee: BigInt(row.fee) };
    await this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('wallet.chain_withdrawals')
        .set({
          state,
          tx_hash: outcome.txHash,
          block_number: outcome.block?.toString() ?? null,
          gas_paid: outcome.gasPaid.toString(),
          error: state === 'failed' ? (outcome.reason ?? 'reverted on chain') : null,
          updated_at: sql`now()`,
        })
        .where('id', '=', row.id)
        .where('state', 'in', ['signed', 'broadcast'])
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return;
      if (state === 'settled') await this.ledger.settle(trx, amounts, outcome.gasPaid, outcome.txHash!);
      else await this.ledger.fail(trx, amounts, outcome.gasPaid, outcome.reason ?? 'reverted on chain');
    });
    const log = state === 'settled' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
    log({ asset: this.asset, withdrawalId: row.id, txHash: outcome.txHash }, state === 'settled' ? 'withdrawal settled' : 'withdrawal failed and refunded');
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

function capped(fees: EvmFees, ceiling: bigint): EvmFees {
  const maxFeePerGas = fees.maxFeePerGas > ceiling ? ceiling : fees.maxFeePerGas;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : fees.maxPriorityFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

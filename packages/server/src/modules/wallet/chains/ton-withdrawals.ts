import { randomUUID } from 'node:crypto';
import { SendMode, beginCell, external, internal, storeMessage } from '@ton/core';
import type { WalletContractV4 } from '@ton/ton';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from '../../../platform/logging/logger.js';
import { type WithdrawalRow, runWithdrawalRound } from './withdrawal-round.js';
import type { ChainLedger } from './chain-ledger.js';
import type { ChainKeys } from './chain-keys.js';
import type { ChainTables, WithdrawalAttemptsTable } from './chain-tables.js';
import { type TonNetwork, messageHash, parseTonAddress } from './ton-chain.js';
import { tonKeyPair } from './ton-wallets.js';
import type { WithdrawalRail } from './withdrawal-requests.js';

/** Charged per TON withdrawal: a wallet v4 transfer costs well under 0.01 TON; the rest stays with the platform's fees. */
export const TON_WITHDRAWAL_FEE = 50_000_000n;
/** How long a signed external message is valid (wallet v4 `valid_until`). */
const VALID_FOR_SECONDS = 600;
const PAGE = 100;

export class TonWithdrawalRail implements WithdrawalRail {
  normalizeAddress(address: string): string | undefined {
    return parseTonAddress(address)?.display;
  }

  async quoteFee(): Promise<bigint> {
    return TON_WITHDRAWAL_FEE;
  }
}

type AttemptRow = Selectable<WithdrawalAttemptsTable>;

/**
 * Sends TON withdrawals from the hot wallet (worker role), with the same
 * broadcast-once rule as EVM (evm-withdrawals.ts): the wallet's seqno is
 * reserved and the signed external message stored in one transaction
 * before it is sent; after a crash the stored message is sent again byte
 * for byte. The seqno makes every attempt of one withdrawal exclusive: the
 * wallet accepts one message per seqno, so a re-signed attempt (after its
 * `valid_until` passed unsent) can never pay twice. TON blocks are final,
 * so a withdrawal settles as soon as its transaction is seen.
 */
export class TonWithdrawalWorker {
  constructor(
    private readonly db: Kysely<ChainTables>,
    private readonly network: TonNetwork,
    private readonly wallet: WalletContractV4,
    private readonly keys: ChainKeys,
    private readonly ledger: ChainLedger,
    private readonly logger: Logger,
    readonly asset = 'TON',
  ) {}

  async reconcileNonce(): Promise<void> {
    const onChain = await this.network.seqno(this.wallet.address);
    await this.db
      .insertInto('wallet.hot_wallet_nonces')
      .values({ asset: this.asset, address: this.wallet.address.toRawString(), next_nonce: String(onChain) })
      .onConflict((conflict) => conflict.column('asset').doUpdateSet({ next_nonce: sql`greatest(wallet.hot_wallet_nonces.next_nonce, excluded.next_nonce)` }))
      .execute();
  }

  round(): Promise<void> {
    return runWithdrawalRound(this.db, this.asset, this.logger, { signAndSend: (row) => this.signAndSend(row), advance: (row) => this.advance(row) });
  }


  private async sign(row: WithdrawalRow, seqno: number): Promise<{ boc: string; hash: string }> {
    const destination = parseTonAddress(row.to_address)!;
    const { secretKey } = await tonKeyPair(this.keys);
    const body = this.wallet.createTransfer({
      seqno,
      secretKey,
      sendMode: SendMode.PAY_GAS_SEPARATELY,
      timeout: Math.floor(Date.now() / 1000) + VALID_FOR_SECONDS,
      messages: [internal({ to: destination.address, value: BigInt(row.amount), bounce: destination.bounceable })],
    });
    const message = external({ to: this.wallet.address, init: seqno === 0 ? this.wallet.init : undefined, body });
    const boc = beginCell().store(storeMessage(message)).endCell().toBoc().toString('base64');
    return { boc, hash: messageHash(message) };
  }

  private async signAndSend(row: WithdrawalRow): Promise<void> {
    const attempt = await this.db.transaction().execute(async (trx) => {
      const claimed = await trx.selectFrom('wallet.chain_withdrawals').select('state').where('id', '=', row.id).forUpdate().executeTakeFirst();
      if (claimed?.state !== 'reserved') return undefined;
      const counter = await trx.selectFrom('wallet.hot_wallet_nonces').select('next_nonce').where('asset', '=', this.asset).forUpdate().executeTakeFirstOrThrow();
      const seqno = Number(counter.next_nonce);
      const signed = await this.sign(row, seqno);
      await trx.updateTable('wallet.hot_wallet_nonces').set({ next_nonce: String(seqno + 1) }).where('asset', '=', this.asset).execute();
      await trx.updateTable('wallet.chain_withdrawals').set({ state: 'signed', nonce: String(seqno), updated_at: sql`now()` }).where('id', '=', row.id).execute();
      const stored = { withdrawal_id: row.id, attempt: 1, tx_hash: signed.hash, raw_tx: signed.boc, max_fee_per_gas: '0', max_priority_fee_per_gas: '0', broadcast_at: null };
      await trx.insertInto('wallet.withdrawal_attempts').values(stored).execute();
      return stored;
    });
    if (attempt) await this.send(row.id, attempt);
  }

  private async send(withdrawalId: string, attempt: Pick<AttemptRow, 'attempt' | 'tx_hash' | 'raw_tx'>): Promise<void> {
    try {
      await this.network.sendMessage(Buffer.from(attempt.raw_tx, 'base64'));
    } catch (error) {
      // A message for a seqno the wallet is not at yet (an earlier one still
      // unsent) or already past is refused; the next round decides.
      this.logger.warn({ asset: this.asset, withdrawalId, err: (error as Error).message.slice(0, 200) }, 'the TON network refused a withdrawal message; will retry');
      return;
    }
    await this.db
      .updateTable('wallet.chain_withdrawals')
      .set({ state: 'broadcast', updated_at: sql`now()` })
      .where('id', '=', withdrawalId)
      .where('state', '=', 'signed')
      .execute();
  }

  private async advance(row: WithdrawalRow): Promise<void> {
    const attempts = await this.db.selectFrom('wallet.withdrawal_attempts').selectAll().where('withdrawal_id', '=', row.id).orderBy('attempt', 'desc').execute();
    const latest = attempts[0];
    if (!latest) return;
    const hashes = new Set(attempts.map((attempt) => attempt.tx_hash));
    const recent = await this.network.transactions(this.wallet.address, PAGE);
    const mined = recent.find((tx) => tx.inbound?.kind === 'external' && hashes.has(tx.inbound.messageHash));
    if (mined) {
      await this.finish(row, mined.aborted ? 'failed' : 'settled', mined.inbound?.kind === 'external' ? mined.inbound.messageHash : null, mined.lt, mined.totalFees);
      return;
    }
    const seqno = await this.network.seqno(this.wallet.address);
    if (row.nonce !== null && seqno > Number(row.nonce)) {
      await this.finish(row, 'failed', null, null, 0n, 'seqno consumed by another message');
      return;
    }
    const expired = Date.now() - new Date(latest.created_at).getTime() > VALID_FOR_SECONDS * 1000;
    if (expired) {
      const signed = await this.sign(row, Number(row.nonce));
      const inserted = await this.db
        .insertInto('wallet.withdrawal_attempts')
        .values({ withdrawal_id: row.id, attempt: latest.attempt + 1, tx_hash: signed.hash, raw_tx: signed.boc, max_fee_per_gas: '0', max_priority_fee_per_gas: '0', broadcast_at: null })
        .onConflict((conflict) => conflict.columns(['withdrawal_id', 'attempt']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return this.send(row.id, inserted);
    }
    await this.send(row.id, latest);
  }

  private async finish(row: WithdrawalRow, state: 'settled' | 'failed', txHash: string | null, lt: bigint | null, fees: bigint, reason?: string) {
    const amounts = { id: row.id, userId: row.user_id, asset: row.asset, amount: BigInt(row.amount), fee: BigInt(row.fee) };
    await this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('wallet.chain_withdrawals')
        .set({ state, tx_hash: txHash, block_number: lt?.toString() ?? null, gas_paid: fees.toString(), error: state === 'failed' ? (reason ?? 'aborted on chain') : null, updated_at: sql`now()` })
        .where('id', '=', row.id)
        .where('state', 'in', ['signed', 'broadcast'])
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return;
      if (state === 'settled') await this.ledger.settle(trx, amounts, fees, txHash ?? randomUUID());
      else await this.ledger.fail(trx, amounts, fees, reason ?? 'aborted on chain');
    });
    this.logger.info({ asset: this.asset, withdrawalId: row.id, state }, state === 'settled' ? 'withdrawal settled' : 'withdrawal failed and refunded');
  }
}

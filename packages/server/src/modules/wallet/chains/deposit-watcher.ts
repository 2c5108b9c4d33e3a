import { type Kysely, type Transaction, sql } from 'kysely';
import type { Logger } from '../../../platform/logging/logger.js';
import type { ChainTables } from './chain-tables.js';
import type { DepositAddresses } from './deposit-addresses.js';
import type { EvmChain } from './evm-chain.js';

export type ChainTrx = Transaction<ChainTables>;

/** A deposit as the ledger needs it. */
export interface ObservedDeposit {
  readonly id: string;
  readonly asset: string;
  readonly userId: string;
  readonly amount: bigint;
  readonly txHash: string;
  readonly logIndex: number;
  readonly blockNumber: bigint;
}

/** Where credits and reversals are posted (the wallet ledger), inside the watcher's transaction. */
export interface DepositLedger {
  credit(trx: ChainTrx, deposit: ObservedDeposit, idempotencyKey: string): Promise<void>;
  /** Throws KaifError INSUFFICIENT_FUNDS when the user's balance cannot cover it. */
  reverse(trx: ChainTrx, deposit: ObservedDeposit, idempotencyKey: string): Promise<void>;
}

export interface DepositWatcherOptions {
  /** Blocks on top of and including the deposit's before it is credited. */
  readonly confirmations: number;
  /** Blocks scanned per round at most, so one round stays short after downtime. */
  readonly maxBlocksPerRound: number;
  /** How many recent block hashes are kept for finding a common ancestor after a reorg. */
  readonly reorgWindow: number;
}

/**
 * The idempotency key of a deposit's credit: chain (the asset names one
 * chain), transaction hash and log index; a deposit re-included after a
 * reorg dropped it is a new generation with its own key.
 */
export const depositCreditKey = (asset: string, txHash: string, logIndex: number, generation: number) =>
  `deposit:${asset}:${txHash}:${logIndex}${generation > 0 ? `:g${generation}` : ''}`;

/** The reversal of a credit: `deposit.reversal:<asset>:<txHash>:<logIndex>` (wallet README). */
export const depositReversalKey = (creditKey: string) => creditKey.replace(/^deposit:/, 'deposit.reversal:');

/**
 * Watches one EVM chain for native transfers to users' deposit addresses
 * (worker role). Each round: (1) checks that the block it stopped at is
 * still on the chain, and if not walks back through the hashes it kept to
 * the common ancestor, dropping pending deposits above it and reversing
 * credited ones; (2) scans new blocks, recording each deposit with its
 * block number and hash, and moves its persisted cursor in the same
 * transaction, so a restart resumes exactly where it stopped; (3) credits
 * deposits with N confirmations, each in one transaction with its state
 * change, under an idempotency key, so a credit happens exactly once.
 *
 * Several workers may run it at once: the cursor only moves from the value
 * a round read (a loser rolls back), and credits are conditional on state.
 */
export class EvmDepositWatcher {
  constructor(
    private readonly db: Kysely<ChainTables>,
    private readonly chain: EvmChain,
    private readonly addresses: DepositAddresses,
    private readonly ledger: DepositLedger,
    private readonly options: DepositWatcherOptions,
    private readonly logger: Logger,
  ) {}

  get asset(): string {
    return this.chain.asset;
  }

  /** One round; returns the head it saw. Chain errors propagate (the caller logs and retries). */
  async round(): Promise<bigint> {
    const head = await this.chain.head();
    let cursor = await this.cursor();
    if (!cursor) {
      // First start: deposit addresses are handed out from now on, so no history to scan.
      const hash = await this.chain.blockHash(head);
      if (!hash) return head;
      await this.db
        .insertInto('wallet.chain_cursors')
        .values({ asset: this.asset, block_number: head.toString(), block_hash: hash })
        .onConflict((conflict) => conflict.column('asset').doNothing())
        .execute();
      return head;
    }
    if ((await this.chain.blockHash(cursor.number)) !== cursor.hash) cursor = await this.rollBack(cursor);
    await this.scan(cursor, head);
    await this.reverseOwed();
    await this.creditConfirmed(head);
    await this.db
      .deleteFrom('wallet.chain_blocks')
      .where('asset', '=', this.asset)
      .where('block_number', '<', (head - BigInt(this.options.reorgWindow)).toString())
      .execute();
    return head;
  }

  private async cursor(): Promise<{ number: bigint; hash: string } | undefined> {
    const row = await this.db.selectFrom('wallet.chain_cursors').select(['block_number', 'block_hash']).where('asset', '=', this.asset).executeTakeFirst();
    return row ? { number: BigInt(row.block_number), hash: row.block_hash } : undefined;
  }

  /**
   * The cursor's block left the chain: walk back through the kept hashes to
   * the newest block still on the chain, then, in one transaction, drop the
   * pending deposits above it, mark credited ones as owing a reversal, forget
   * the orphaned hashes and move the cursor back.
   */
  private async rollBack(cursor: { number: bigint; hash: string }): Promise<{ number: bigint; hash: string }> {
    const kept = await this.db
      .selectFrom('wallet.chain_blocks')
      .select(['block_number', 'block_hash'])
      .where('asset', '=', this.asset)
      .where('block_number', '<', cursor.number.toString())
      .orderBy('block_number', 'desc')
      .execute();
    let ancestor: { number: bigint; hash: string } | undefined;
    for (const block of kept) {
      const number = BigInt(block.block_number);
      if ((await this.chain.blockHash(number)) === block.block_hash) {
        ancestor = { number, hash: block.block_hash };
        break;
      }
    }
    if (!ancestor) {
      // Deeper than the window: restart from the oldest kept height's parent as the chain has it now.
      const number = (kept.length > 0 ? BigInt(kept[kept.length - 1]!.block_number) : cursor.number) - 1n;
      const hash = await this.chain.blockHash(number < 0n ? 0n : number);
      ancestor = { number: number < 0n ? 0n : number, hash: hash ?? '' };
      this.logger.error({ asset: this.asset, from: cursor.number.toString() }, 'chain reorganised deeper than the reorg window');
    }
    const above = ancestor.number.toString();
    await this.db.transaction().execute(async (trx) => {
      const dropped = await trx
        .updateTable('wallet.chain_deposits')
        .set({ state: 'dropped', updated_at: sql`now()` })
        .where('asset', '=', this.asset)
        .where('state', '=', 'pending')
        .where('block_number', '>', above)
        .returning('tx_hash')
        .execute();
      const owed = await trx
        .updateTable('wallet.chain_deposits')
        .set({ state: 'reversal_owed', updated_at: sql`now()` })
        .where('asset', '=', this.asset)
        .where('state', '=', 'credited')
        .where('block_number', '>', above)
        .returning('tx_hash')
        .execute();
      await trx.deleteFrom('wallet.chain_blocks').where('asset', '=', this.asset).where('block_number', '>', above).execute();
      await trx
        .updateTable('wallet.chain_cursors')
        .set({ block_number: above, block_hash: ancestor.hash, updated_at: sql`now()` })
        .where('asset', '=', this.asset)
        .execute();
      this.logger.warn(
        { asset: this.asset, from: cursor.number.toString(), to: above, dropped: dropped.length, reversals: owed.length },
        'chain reorganised: rolled the deposit watcher back',
      );
    });
    return ancestor;
  }

  private async scan(start: { number: bigint; hash: string }, head: bigint): Promise<void> {
    let cursor = start;
    const last = head < cursor.number + BigInt(this.options.maxBlocksPerRound) ? head : cursor.number + BigInt(this.options.maxBlocksPerRound);
    for (let number = cursor.number + 1n; number <= last; number += 1n) {
      const block = await this.chain.block(number);
      // Gone or built on another parent: the chain moved under us; the next round's check rolls back.
      if (!block || block.parentHash !== cursor.hash) return;
      const candidates = block.transactions.filter((tx) => tx.to !== null && tx.value > 0n);
      // The platform's own gas top-ups to custodial addresses (stored before they were sent) are no deposits.
      const topUps =
        candidates.length === 0
          ? new Set<string>()
          : new Set(
              (await this.db.selectFrom('wallet.gas_top_ups').select('tx_hash').where('tx_hash', 'in', candidates.map((tx) => tx.hash.toLowerCase())).execute()).map((row) => row.tx_hash),
            );
      const transfers = candidates.filter((tx) => !topUps.has(tx.hash.toLowerCase()));
      const owners = await this.addresses.owners(
        'evm',
        transfers.map((tx) => tx.to!),
      );
      const deposits: { txHash: string; userId: string; address: string; amount: bigint }[] = [];
      for (const tx of transfers) {
        const owner = owners.get(tx.to!);
        if (!owner) continue;
        const receipt = await this.chain.receipt(tx.hash);
        if (receipt?.status !== 1 || receipt.blockHash !== block.hash) continue;
        deposits.push({ txHash: tx.hash, userId: owner.userId, address: tx.to!, amount: tx.value });
      }
      const previous = cursor;
      const moved = await this.db.transaction().execute(async (trx) => {
        const advanced = await trx
          .updateTable('wallet.chain_cursors')
          .set({ block_number: block.number.toString(), block_hash: block.hash, updated_at: sql`now()` })
          .where('asset', '=', this.asset)
          .where('block_number', '=', previous.number.toString())
          .where('block_hash', '=', previous.hash)
          .returning('asset')
          .executeTakeFirst();
        if (!advanced) return false;
        await trx
          .insertInto('wallet.chain_blocks')
          .values({ asset: this.asset, block_number: block.number.toString(), block_hash: block.hash })
          .onConflict((conflict) => conflict.columns(['asset', 'block_number']).doUpdateSet({ block_hash: block.hash }))
          .execute();
        for (const deposit of deposits) await this.record(trx, deposit, block.number, block.hash);
        return true;
      });
      // Another worker moved the cursor: it scans this chain now; stop this round.
      if (!moved) return;
      cursor = { number: block.number, hash: block.hash };
    }
  }

  /**
   * Records a deposit seen in a block. Seen again after a reorg dropped it,
   * it becomes pending again as a new generation; seen again while it owed
   * a reversal (re-included before the reversal was posted), it is simply
   * credited again at its new block, as it never stopped being.
   */
  private async record(trx: ChainTrx, deposit: { txHash: string; userId: string; address: string; amount: bigint }, blockNumber: bigint, blockHash: string) {
    await trx
      .insertInto('wallet.chain_deposits')
      .values({
        asset: this.asset,
        tx_hash: deposit.txHash,
        log_index: 0,
        user_id: deposit.userId,
        address: deposit.address,
        amount: deposit.amount.toString(),
        block_number: blockNumber.toString(),
        block_hash: blockHash,
        state: 'pending',
        generation: 0,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['asset', 'tx_hash', 'log_index'])
          .doUpdateSet({
            state: sql`case when wallet.chain_deposits.state = 'reversal_owed' then 'credited' else 'pending' end`,
            generation: sql`case when wallet.chain_deposits.state = 'reversal_owed' then wallet.chain_deposits.generation else wallet.chain_deposits.generation + 1 end`,
            block_number: blockNumber.toString(),
            block_hash: blockHash,
            updated_at: sql`now()`,
          })
          .where('wallet.chain_deposits.state', 'in', ['dropped', 'reversed', 'reversal_owed']),
      )
      .execute();
    this.logger.info({ asset: this.asset, userId: deposit.userId, txHash: deposit.txHash, block: blockNumber.toString() }, 'deposit observed');
  }

  private async creditConfirmed(head: bigint): Promise<void> {
    const deepest = head - BigInt(this.options.confirmations) + 1n;
    const due = await this.db
      .selectFrom('wallet.chain_deposits')
      .selectAll()
      .where('asset', '=', this.asset)
      .where('state', '=', 'pending')
      .where('block_number', '<=', deepest.toString())
      .orderBy('block_number')
      .execute();
    for (const row of due) {
      const key = depositCreditKey(row.asset, row.tx_hash, row.log_index, row.generation);
      await this.db.transaction().execute(async (trx) => {
        const claimed = await trx
          .updateTable('wallet.chain_deposits')
          .set({ state: 'credited', credit_key: key, updated_at: sql`now()` })
          .where('id', '=', row.id)
          .where('state', '=', 'pending')
          .where('block_hash', '=', row.block_hash)
          .returning('id')
          .executeTakeFirst();
        if (!claimed) return;
        await this.ledger.credit(trx, observed(row), key);
      });
      this.logger.info({ asset: row.asset, userId: row.user_id, txHash: row.tx_hash, block: row.block_number }, 'deposit credited');
    }
  }

  /** Posts the reversals owed for credited deposits whose block left the chain; one the balance cannot cover waits. */
  private async reverseOwed(): Promise<void> {
    const owed = await this.db.selectFrom('wallet.chain_deposits').selectAll().where('asset', '=', this.asset).where('state', '=', 'reversal_owed').execute();
    for (const row of owed) {
      try {
        await this.db.transaction().execute(async (trx) => {
          const claimed = await trx
            .updateTable('wallet.chain_deposits')
            .set({ state: 'reversed', updated_at: sql`now()` })
            .where('id', '=', row.id)
            .where('state', '=', 'reversal_owed')
            .returning('id')
            .executeTakeFirst();
          if (!claimed) return;
          await this.ledger.reverse(trx, observed(row), depositReversalKey(row.credit_key ?? depositCreditKey(row.asset, row.tx_hash, row.log_index, row.generation)));
        });
        this.logger.warn({ asset: row.asset, userId: row.user_id, txHash: row.tx_hash }, 'deposit credit reversed: its block left the chain');
      } catch (error) {
        this.logger.error({ asset: row.asset, userId: row.user_id, txHash: row.tx_hash, err: (error as Error).message }, 'deposit reversal could not be posted yet');
      }
    }
  }
}

function observed(row: { id: string; asset: string; user_id: string; amount: string; tx_hash: string; log_index: number; block_number: string }): ObservedDeposit {
  return {
    id: row.id,
    asset: row.asset,
    userId: row.user_id,
    amount: BigInt(row.amount),
    txHash: row.tx_hash,
    logIndex: row.log_index,
    blockNumber: BigInt(row.block_number),
  };
}

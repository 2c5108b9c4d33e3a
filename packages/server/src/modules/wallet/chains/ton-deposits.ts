import type { Address } from '@ton/core';
import { type Kysely, sql } from 'kysely';
import type { Logger } from '../../../platform/logging/logger.js';
import type { ChainTables } from './chain-tables.js';
import { type DepositLedger, depositCreditKey } from './deposit-watcher.js';
import type { TonNetwork } from './ton-chain.js';

const PAGE = 100;

/**
 * Watches the TON hot wallet for deposits: an inbound transfer whose comment
 * is a user's memo (README "TON"). TON's masterchain is final once a block
 * is signed (no reorgs), so the cursor is the logical time (lt) of the last
 * transaction handled and each deposit is recorded and credited in one
 * transaction with the cursor's move, under `deposit:TON:<txHash>:0`.
 * A transfer with no or an unknown memo is left for an operator (logged).
 */
export class TonDepositWatcher {
  constructor(
    private readonly db: Kysely<ChainTables>,
    private readonly network: TonNetwork,
    private readonly hotWallet: Address,
    private readonly ledger: DepositLedger,
    private readonly logger: Logger,
    readonly asset = 'TON',
  ) {}

  async round(): Promise<void> {
    const cursor = await this.db.selectFrom('wallet.chain_cursors').select(['block_number']).where('asset', '=', this.asset).executeTakeFirst();
    const recent = await this.network.transactions(this.hotWallet, PAGE);
    if (!cursor) {
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
      const newest = recent.reduce((max, tx) => (tx.lt > max ? tx.lt : max), 0n);
      await this.db
        .insertInto('wallet.chain_cursors')
        .values({ asset: this.asset, block_number: newest.toString(), block_hash: '' })
        .onConflict((conflict) => conflict.column('asset').doNothing())
        .execute();
      return;
    }
    const after = BigInt(cursor.block_number);
    const fresh = recent.filter((tx) => tx.lt > after).sort((a, b) => (a.lt < b.lt ? -1 : 1));
    for (const tx of fresh) {
      const inbound = tx.inbound;
      // A transfer that aborted and asked to bounce went back to its sender.
      const kept = inbound?.kind === 'internal' && !inbound.bounced && inbound.value > 0n && !(tx.aborted && inbound.bounce);
      const memo = kept && inbound?.kind === 'internal' ? inbound.comment?.trim() : undefined;
      const owner = memo
        ? await this.db.selectFrom('wallet.deposit_addresses').select('user_id').where('family', '=', 'ton').where('address', '=', memo).executeTakeFirst()
        : undefined;
      if (memo && !owner) this.logger.warn({ asset: this.asset, txHash: tx.hash }, 'TON transfer with an unknown memo; left for an operator');
      const previous = cursor.block_number;
      const moved = await this.db.transaction().execute(async (trx) => {
        const advanced = await trx
          .updateTable('wallet.chain_cursors')
          .set({ block_number: tx.lt.toString(), block_hash: tx.hash, updated_at: sql`now()` })
          .where('asset', '=', this.asset)
          .where('block_number', '=', previous)
          .returning('asset')
          .executeTakeFirst();
        if (!advanced || !owner || inbound?.kind !== 'internal') return Boolean(advanced);
        const key = depositCreditKey(this.asset, tx.hash, 0, 0);
        const recorded = await trx
          .insertInto('wallet.chain_deposits')
          .values({
            asset: this.asset,
            tx_hash: tx.hash,
            log_index: 0,
            user_id: owner.user_id,
            address: memo!,
            amount: inbound.value.toString(),
            block_number: tx.lt.toString(),
            block_hash: tx.hash,
            state: 'credited',
            generation: 0,
            credit_key: key,
          })
          .onConflict((conflict) => conflict.columns(['asset', 'tx_hash', 'log_index']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (recorded) {
          await this.ledger.credit(
            trx,
            { id: recorded.id, asset: this.asset, userId: owner.user_id, amount: inbound.value, txHash: tx.hash, logIndex: 0, blockNumber: tx.lt },
            key,
          );
        }
        return true;
      });
      if (!moved) return;
      cursor.block_number = tx.lt.toString();
      if (owner) this.logger.info({ asset: this.asset, userId: owner.user_id, txHash: tx.hash }, 'deposit credited');
    }
  }
}

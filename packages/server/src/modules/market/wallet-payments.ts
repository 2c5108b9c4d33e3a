import type { UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { WalletApi } from '../wallet/api.js';
import type { Payments } from './payments.js';

/**
 * Escrow in the wallet module's ledger. The wallet shares the database, so
 * each call joins the saga's transaction: the hold and the order's move to
 * `paid` (or the release and `completed`) commit together or not at all.
 * A hold refused for want of funds throws inside the ledger and aborts the
 * transaction, so it runs in a savepoint here: the saga records the
 * failure in the same transaction.
 */
export function walletPayments(wallet: WalletApi): Payments {
  return {
    async hold(input, trx) {
      const attempt = async () =>
        wallet.holdEscrow({ userId: input.userId, asset: input.asset, amount: BigInt(input.amount), idempotencyKey: input.idempotencyKey, reference: input.reference, actor: { kind: 'system', id: 'market' } }, trx);
      try {
        if (!trx) return { ok: true, holdId: (await attempt()).id };
        await sql`savepoint market_hold`.execute(trx);
        try {
          const hold = await attempt();
          await sql`release savepoint market_hold`.execute(trx);
          return { ok: true, holdId: hold.id };
        } catch (error) {
          await sql`rollback to savepoint market_hold`.execute(trx);
          throw error;
        }
      } catch (error) {
        if (error instanceof KaifError && error.code === 'INSUFFICIENT_FUNDS') return { ok: false, reason: 'insufficient_funds' };
        throw error;
      }
    },
    async release(input, trx) {
      await wallet.releaseEscrow({ holdId: input.holdId, toUserId: input.toUserId as UserId, idempotencyKey: input.idempotencyKey, actor: { kind: 'system', id: 'market' } }, trx);
    },
    async refund(input, trx) {
      await wallet.refundEscrow({ holdId: input.holdId, idempotencyKey: input.idempotencyKey, actor: { kind: 'system', id: 'market' } }, trx);
    },
    /** `market.chain_gas`: user −g, chain_clearing +g (as a withdrawal's gas leaves for the chain), g capped by the user's balance. */
    async chargeChainGas(input, trx) {
      const done = await wallet.findTransaction(input.idempotencyKey, trx);
      if (done) return BigInt(String(done.metadata.charged ?? '0'));
      const held = await wallet.balance(input.userId, input.asset, trx);
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
      const charged = input.amount < held ? input.amount : held;
      if (charged <= 0n) return 0n;
      await wallet.post(
        {
          idempotencyKey: input.idempotencyKey,
          kind: 'market.chain_gas',
          actor: { kind: 'system', id: 'market' },
          metadata: { reference: input.reference, gas: input.amount.toString(), charged: charged.toString() },
          postings: [
            { account: { user: input.userId }, asset: input.asset, amount: -charged },
            { account: { platform: 'chain_clearing' }, asset: input.asset, amount: charged },
          ],
        },
        trx,
      );
      return charged;
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { UserId, WithdrawalInput, WithdrawalView } from '@kaif/protocol';
import { type Kysely, sql } from 'kysely';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { Principal } from '../../../platform/http/principal.js';
import type { IdentityApi } from '../../identity/api.js';
import { parsePositiveAmount } from '../assets.js';
import type { ChainLedger } from './chain-ledger.js';
import type { ChainSettings } from './chain-settings.js';
import type { ChainTables, ChainWithdrawalsTable } from './chain-tables.js';

/** What the request side needs of a chain: address checks and the fee to charge. */
export interface WithdrawalRail {
  /** The address in its stored form, or undefined when it is not one of this chain's. */
  normalizeAddress(address: string): string | undefined;
  /** The fee charged on top of the amount: the most this withdrawal's transactions may spend on gas. */
  quoteFee(): Promise<bigint>;
}

type WithdrawalRow = Pick<ChainWithdrawalsTable, 'id' | 'asset' | 'amount' | 'fee' | 'to_address' | 'state' | 'tx_hash'> & { created_at: Date | string };

export function withdrawalView(row: WithdrawalRow): WithdrawalView {
  return {
    id: row.id,
    asset: row.asset,
    amount: String(row.amount),
    fee: String(row.fee),
    toAddress: row.to_address,
    state: row.state,
    txHash: row.tx_hash,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * `POST /api/v1/wallet/withdrawals`: checks the second factor when the user
 * has it on and the daily limit, then, in one transaction, reserves amount
 * plus fee on the ledger (user → pending_withdrawals) and records the
 * withdrawal for the worker to sign and broadcast. The same idempotency key
 * again returns the first withdrawal and reserves nothing twice.
 */
export class WithdrawalRequests {
  constructor(
    private readonly db: Kysely<ChainTables>,
    private readonly settings: ReadonlyMap<string, ChainSettings>,
    private readonly rails: ReadonlyMap<string, WithdrawalRail>,
    private readonly ledger: ChainLedger,
    private readonly identity: IdentityApi,
  ) {}

  async request(principal: Principal, input: WithdrawalInput): Promise<{ withdrawal: WithdrawalView; created: boolean }> {
    const settings = this.settings.get(input.asset);
    if (!settings) throw new KaifError('ASSET_NOT_ENABLED');
    const rail = this.rails.get(input.asset);
    if (!rail) throw new KaifError('CHAIN_NOT_CONFIGURED');
    const amount = parsePositiveAmount(input.amount);
    if (amount === undefined) throw new KaifError('AMOUNT_INVALID');
    const toAddress = rail.normalizeAddress(input.toAddress);
    if (!toAddress) throw new KaifError('ADDRESS_INVALID');
    const existing = await this.find(principal.userId, input.idempotencyKey);
    if (existing) return { withdrawal: withdrawalView(existing), created: false };

    await this.identity.assertSecondFactor(principal.userId as UserId, input.totpCode);
    const fee = await rail.quoteFee();
    const id = randomUUID();
    const row = await this.db.transaction().execute(async (trx) => {
      // One user's withdrawals of one asset take turns, so two at once cannot both pass the daily limit.
      await sql`select pg_advisory_xact_lock(hashtext(${`withdrawal:${principal.userId}:${input.asset}`}))`.execute(trx);
      const raced = await trx
        .selectFrom('wallet.chain_withdrawals')
        .selectAll()
        .where('user_id', '=', principal.userId)
        .where('idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirst();
      if (raced) return { row: raced, created: false };
      if (settings.dailyLimit !== undefined) {
        const today = await trx
          .selectFrom('wallet.chain_withdrawals')
          .select(sql<string>`coalesce(sum(amount), 0)::text`.as('total'))
          .where('user_id', '=', principal.userId)
          .where('asset', '=', input.asset)
          .where('state', '!=', 'failed')
          .where('created_at', '>', sql<Date>`now() - interval '24 hours'`)
          .executeTakeFirstOrThrow();
        if (BigInt(today.total) + amount > settings.dailyLimit) throw new KaifError('WITHDRAWAL_LIMIT_EXCEEDED');
      }
      const inserted = await trx
        .insertInto('wallet.chain_withdrawals')
        .values({
          id,
          user_id: principal.userId,
          asset: input.asset,
          amount: amount.toString(),
          fee: fee.toString(),
          to_address: toAddress,
          idempotency_key: input.idempotencyKey,
          state: 'reserved',
          nonce: null,
          tx_hash: null,
          block_number: null,
          gas_paid: null,
          error: null,
          session_id: principal.sessionId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.ledger.reserve(trx, { id, userId: principal.userId, asset: input.asset, amount, fee }, { id: principal.userId, sessionId: principal.sessionId });
      return { row: inserted, created: true };
    });
    return { withdrawal: withdrawalView(row.row), created: row.created };
  }

  async list(userId: string, limit = 50): Promise<WithdrawalView[]> {
    const rows = await this.db.selectFrom('wallet.chain_withdrawals').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map(withdrawalView);
  }

  async get(userId: string, id: string): Promise<WithdrawalView> {
    const row = await this.db.selectFrom('wallet.chain_withdrawals').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new KaifError('WITHDRAWAL_NOT_FOUND');
    return withdrawalView(row);
  }

  private find(userId: string, idempotencyKey: string) {
    return this.db.selectFrom('wallet.chain_withdrawals').selectAll().where('user_id', '=', userId).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
  }
}

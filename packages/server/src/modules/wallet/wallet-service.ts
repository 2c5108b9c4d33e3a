import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import { enqueueEvents } from '../../platform/outbox/outbox.js';
import type { CallerTransaction, EscrowHold, HoldEscrowCommand, SettleEscrowCommand, WalletApi, WalletBalance } from './api.js';
import type { AssetRegistry } from './assets.js';
import { appendAudit } from './audit-log.js';
import {
  type LedgerActor,
  type LedgerCommand,
  type LedgerTransaction,
  type PostResult,
  type WalletTrx,
  accountKey,
  balanceOf,
  findLedgerTransaction,
  postLedgerTransaction,
  reconcileLedger,
} from './ledger.js';
import type { EscrowHoldsTable, WalletDb, WalletTables } from './wallet-tables.js';

/** Durable subject of a user's balance events; the realtime module's user channel delivers them as `wallet.balance` frames. */
export const walletSubject = (userId: string) => `kaif.ev.user.${userId}.wallet`;

const SYSTEM: LedgerActor = { kind: 'system', id: null };

/**
 * The ledger's services behind WalletApi: postings, balances, escrow holds,
 * each with its audit row in the same transaction. A refused move (short of
 * funds) rolls back and is audited afterwards, when this service owns the
 * transaction; in a caller's transaction the caller decides.
 */
export class WalletService {
  constructor(
    readonly db: WalletDb,
    readonly assets: AssetRegistry,
    /** Wakes the local outbox relay after a commit that enqueued events. */
    private readonly committed: () => void = () => undefined,
  ) {}

  /** Runs `work` in the caller's transaction, or in a new one (then wakes the relay for its balance events). */
  async inTransaction<T>(trx: CallerTransaction | undefined, work: (trx: WalletTrx) => Promise<T>): Promise<T> {
    if (trx) return work(trx as WalletTrx);
    const result = await this.db.transaction().execute(work);
    this.committed();
    return result;
  }

  /**
   * Runs a money move; when it is refused for a typed reason and this
   * service owned the transaction, the refusal is audited after the rollback.
   */
  async audited<T>(
    trx: CallerTransaction | undefined,
    refusal: { actor: LedgerActor; action: string; subjectUserId?: string | null; details?: Record<string, unknown> },
    work: (trx: WalletTrx) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.inTransaction(trx, work);
    } catch (error) {
      if (!trx && error instanceof KaifError && error.status < 500) {
        await appendAudit(this.db, { ...refusal, outcome: 'refused', details: { ...refusal.details, code: error.code } }).catch(() => undefined);
      }
      throw error;
    }
  }

  /** postLedgerTransaction plus its audit row, in one transaction. */
  async postIn(trx: WalletTrx, command: LedgerCommand, subjectUserId: string | null = null): Promise<PostResult> {
    const result = await postLedgerTransaction(trx, this.assets, command);
    if (!result.replayed) {
      await enqueueEvents(
        trx as unknown as Transaction<unknown>,
        result.userBalances.map((moved) => ({
          subject: walletSubject(moved.userId),
          payload: { type: 'wallet.balance', asset: moved.asset, amount: moved.balance.toString(), transactionId: result.transaction.id, kind: command.kind },
        })),
      );
      await appendAudit(trx, {
        actor: command.actor,
        action: command.kind,
        outcome: 'ok',
        subjectUserId: subjectUserId ?? firstUserOf(command),
        transactionId: result.transaction.id,
        details: {
          postings: command.postings.map((posting) => ({ account: accountKey(posting.account), asset: posting.asset, amount: posting.amount.toString() })),
          ...(command.metadata ? { metadata: command.metadata } : {}),
        },
      });
    }
    return result;
  }

  post(command: LedgerCommand, trx?: CallerTransaction): Promise<PostResult> {
    return this.audited(trx, { actor: command.actor, action: command.kind, subjectUserId: firstUserOf(command), details: { idempotencyKey: command.idempotencyKey } }, (t) =>
      this.postIn(t, command),
    );
  }

  findTransaction(idempotencyKey: string, trx?: CallerTransaction): Promise<LedgerTransaction | undefined> {
    return findLedgerTransaction((trx as WalletDb | undefined) ?? this.db, idempotencyKey);
  }

  balance(userId: string, asset: string, trx?: CallerTransaction): Promise<bigint> {
    return balanceOf((trx as WalletDb | undefined) ?? this.db, { user: userId }, asset);
  }

  async balances(userId: string): Promise<WalletBalance[]> {
    const codes = this.assets.codes();
    const rows = await this.db
      .selectFrom('wallet.accounts')
      .select(['asset', 'balance'])
      .where('account', '=', accountKey({ user: userId }))
      .where('asset', 'in', codes)
      .execute();
    const byAsset = new Map(rows.map((row) => [row.asset, BigInt(row.balance)]));
    return codes.map((asset) => ({ asset, amount: byAsset.get(asset) ?? 0n }));
  }

  holdEscrow(command: HoldEscrowCommand, trx?: CallerTransaction): Promise<EscrowHold> {
    const actor = command.actor ?? SYSTEM;
    if (command.amount <= 0n) throw new KaifError('AMOUNT_INVALID');
    return this.audited(
      trx,
      { actor, action: 'escrow.hold', subjectUserId: command.userId, details: { asset: command.asset, amount: command.amount.toString(), reference: command.reference } },
      async (t) => {
        const { transaction, replayed } = await this.postIn(
          t,
          {
            idempotencyKey: `escrow.hold:${command.idempotencyKey}`,
            kind: 'escrow.hold',
            actor,
            metadata: { reference: command.reference },
            postings: [
              { account: { user: command.userId }, asset: command.asset, amount: -command.amount },
              { account: { platform: 'escrow' }, asset: command.asset, amount: command.amount },
            ],
          },
          command.userId,
        );
        if (replayed) {
          const existing = await t.selectFrom('wallet.escrow_holds').selectAll().where('hold_transaction_id', '=', transaction.id).executeTakeFirstOrThrow();
          return holdOf(existing);
        }
        const row = await t
          .insertInto('wallet.escrow_holds')
          .values({
            id: randomUUID(),
            user_id: command.userId,
            asset: command.asset,
            amount: command.amount.toString(),
            reference: command.reference,
            state: 'held',
            hold_transaction_id: transaction.id,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return holdOf(row);
      },
    );
  }

  releaseEscrow(command: SettleEscrowCommand & { readonly toUserId: string }, trx?: CallerTransaction): Promise<EscrowHold> {
    return this.settle(command, 'released', command.toUserId, trx);
  }

  refundEscrow(command: SettleEscrowCommand, trx?: CallerTransaction): Promise<EscrowHold> {
    return this.settle(command, 'refunded', null, trx);
  }

  /**
   * Release or refund: the hold row is locked, so two settlements of one
   * hold serialise and only the first moves money; a repeat of the first
   * (same key) returns it, any other → ESCROW_HOLD_SETTLED.
   */
  private settle(command: SettleEscrowCommand, outcome: 'released' | 'refunded', toUserId: string | null, trx?: CallerTransaction): Promise<EscrowHold> {
    const actor = command.actor ?? SYSTEM;
    const kind = outcome === 'released' ? 'escrow.release' : 'escrow.refund';
    const ledgerKey = `${kind}:${command.idempotencyKey}`;
    return this.audited(trx, { actor, action: kind, details: { holdId: command.holdId } }, async (t) => {
      const hold = await t.selectFrom('wallet.escrow_holds').selectAll().where('id', '=', command.holdId).forUpdate().executeTakeFirst();
      if (!hold) throw new KaifError('ESCROW_HOLD_NOT_FOUND');
      if (hold.state !== 'held') {
        const settled = hold.settle_transaction_id
          ? await t.selectFrom('wallet.transactions').select('idempotency_key').where('id', '=', hold.settle_transaction_id).executeTakeFirst()
          : undefined;
        if (settled?.idempotency_key === ledgerKey) return holdOf(hold);
        throw new KaifError('ESCROW_HOLD_SETTLED');
      }
      const recipient = toUserId ?? hold.user_id;
      const amount = BigInt(hold.amount);
      const { transaction } = await this.postIn(
        t,
        {
          idempotencyKey: ledgerKey,
          kind,
          actor,
          metadata: { holdId: hold.id, reference: hold.reference },
          postings: [
            { account: { platform: 'escrow' }, asset: hold.asset, amount: -amount },
            { account: { user: recipient }, asset: hold.asset, amount },
          ],
        },
        recipient,
      );
      const row = await t
        .updateTable('wallet.escrow_holds')
        .set({ state: outcome, settle_transaction_id: transaction.id, settled_to_user_id: recipient, settled_at: new Date() })
        .where('id', '=', hold.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return holdOf(row);
    });
  }

  async getEscrowHold(holdId: string, trx?: CallerTransaction): Promise<EscrowHold | undefined> {
    const row = await ((trx as Kysely<WalletTables> | undefined) ?? this.db)
      .selectFrom('wallet.escrow_holds')
      .selectAll()
      .where('id', '=', holdId)
      .executeTakeFirst();
    return row ? holdOf(row) : undefined;
  }

  async escrowHoldsByReference(reference: string, trx?: CallerTransaction): Promise<EscrowHold[]> {
    const rows = await ((trx as Kysely<WalletTables> | undefined) ?? this.db)
      .selectFrom('wallet.escrow_holds')
      .selectAll()
      .where('reference', '=', reference)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(holdOf);
  }

  reconcile() {
    return reconcileLedger(this.db);
  }

  /** The WalletApi other modules see. */
  api(): WalletApi {
    return {
      assets: () => this.assets.enabled,
      post: (command, trx) => this.post(command, trx),
      findTransaction: (key, trx) => this.findTransaction(key, trx),
      balance: (userId, asset, trx) => this.balance(userId, asset, trx),
      balances: (userId) => this.balances(userId),
      holdEscrow: (command, trx) => this.holdEscrow(command, trx),
      releaseEscrow: (command, trx) => this.releaseEscrow(command, trx),
      refundEscrow: (command, trx) => this.refundEscrow(command, trx),
      getEscrowHold: (holdId, trx) => this.getEscrowHold(holdId, trx),
      escrowHoldsByReference: (reference, trx) => this.escrowHoldsByReference(reference, trx),
      reconcile: () => this.reconcile(),
    };
  }
}

function firstUserOf(command: LedgerCommand): string | null {
  for (const posting of command.postings) if ('user' in posting.account) return posting.account.user;
  return null;
}

function holdOf(row: { [K in keyof EscrowHoldsTable]: unknown }): EscrowHold {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    asset: row.asset as string,
    amount: BigInt(row.amount as string),
    reference: row.reference as string,
    state: row.state as EscrowHold['state'],
    settledToUserId: (row.settled_to_user_id as string | null) ?? null,
    holdTransactionId: row.hold_transaction_id as string,
    settleTransactionId: (row.settle_transaction_id as string | null) ?? null,
  };
}

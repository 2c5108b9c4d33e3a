import { randomUUID } from 'node:crypto';
import type { TradeView } from '@kaif/protocol';
import { type Selectable, type Transaction, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import { enqueueEvents } from '../../platform/outbox/outbox.js';
import type { LedgerActor, WalletTrx } from './ledger.js';
import type { TradeOffersTable, TradeState, TradesTable } from './wallet-tables.js';
import type { WalletService } from './wallet-service.js';

/** Durable subject of trade events (the outbox publishes them after commit). */
export const TRADE_EVENTS_SUBJECT = 'kaif.ev.wallet.trades';

export interface OfferCommand {
  readonly sellerId: string;
  readonly sellAsset: string;
  readonly sellAmount: bigint;
  readonly priceAsset?: string;
  readonly priceAmount?: bigint;
  readonly paymentTerms?: string;
  readonly idempotencyKey: string;
  readonly actor: LedgerActor;
}

type OfferRow = Selectable<TradeOffersTable>;
type TradeRow = Selectable<TradesTable>;

/**
 * P2P trades (README.md "P2P trades"). An offer sells an amount of one
 * asset either for an amount of another (a swap: taking it moves both
 * sides in one ledger transaction, at once) or for an off-platform payment
 * the seller confirms: taking it locks the seller's amount in escrow; the
 * seller's confirmation releases it to the buyer; the buyer's cancel or the
 * timeout (the worker's sweep, from `expires_at` in the database, so it
 * survives restarts) refunds the seller; either party may open a dispute,
 * which stops the clock until an admin releases or refunds. Every step is
 * one database transaction with its ledger transactions, its audit rows and
 * a `trade.*` event on the outbox.
 */
export class TradeService {
  constructor(
    private readonly wallet: WalletService,
    private readonly timeoutMs: () => number,
    private readonly logger: Logger,
  ) {}

  async createOffer(command: OfferCommand): Promise<OfferRow> {
    const { sellAsset, sellAmount, priceAsset, priceAmount } = command;
    for (const asset of [sellAsset, ...(priceAsset ? [priceAsset] : [])]) if (!this.wallet.assets.has(asset)) throw new KaifError('ASSET_NOT_ENABLED');
    if ((priceAsset === undefined) !== (priceAmount === undefined)) {
      throw new KaifError('VALIDATION_FAILED', 'Give priceAsset and priceAmount together, or neither for an off-platform payment', { field: 'priceAsset' });
    }
    if (priceAsset !== undefined && priceAsset === sellAsset) throw new KaifError('VALIDATION_FAILED', 'Sell one asset for another', { field: 'priceAsset' });
    const key = `${command.sellerId}:${command.idempotencyKey}`;
    return this.wallet.inTransaction(undefined, async (trx) => {
      const inserted = await trx
        .insertInto('wallet.trade_offers')
        .values({
          id: randomUUID(),
          seller_id: command.sellerId,
          sell_asset: sellAsset,
          sell_amount: sellAmount.toString(),
          price_asset: priceAsset ?? null,
          price_amount: priceAmount?.toString() ?? null,
          payment_terms: command.paymentTerms ?? null,
          state: 'open',
          idempotency_key: key,
        })
        .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) return trx.selectFrom('wallet.trade_offers').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow();
      await this.audit(trx, command.actor, 'trade.offer', command.sellerId, { offerId: inserted.id });
      return inserted;
    });
  }

  listOpenOffers(limit: number): Promise<OfferRow[]> {
    return this.wallet.db.selectFrom('wallet.trade_offers').selectAll().where('state', '=', 'open').orderBy('created_at', 'desc').limit(limit).execute();
  }

  async closeOffer(sellerId: string, offerId: string, actor: LedgerActor): Promise<OfferRow> {
    return this.wallet.inTransaction(undefined, async (trx) => {
      const offer = await trx.selectFrom('wallet.trade_offers').selectAll().where('id', '=', offerId).forUpdate().executeTakeFirst();
      if (!offer) throw new KaifError('TRADE_OFFER_NOT_FOUND');
      if (offer.seller_id !== sellerId) throw new KaifError('TRADE_FORBIDDEN');
      if (offer.state === 'closed') return offer;
      if (offer.state !== 'open') throw new KaifError('TRADE_STATE_CONFLICT', 'This offer was already taken');
      await this.audit(trx, actor, 'trade.offer.close', sellerId, { offerId });
      return trx.updateTable('wallet.trade_offers').set({ state: 'closed' }).where('id', '=', offerId).returningAll().executeTakeFirstOrThrow();
    });
  }

  /** The buyer takes an open offer: a swap settles at once; an off-platform sale locks the seller's amount. */
  async take(buyerId: string, offerId: string, idempotencyKey: string, actor: LedgerActor): Promise<TradeRow> {
    const takeKey = `${buyerId}:${idempotencyKey}`;
    return this.wallet.audited(undefined, { actor, action: 'trade.take', subjectUserId: buyerId, details: { offerId } }, async (trx) => {
      const earlier = await trx.selectFrom('wallet.trades').selectAll().where('take_key', '=', takeKey).executeTakeFirst();
      if (earlier) return earlier;
      const offer = await trx.selectFrom('wallet.trade_offers').selectAll().where('id', '=', offerId).forUpdate().executeTakeFirst();
      if (!offer) throw new KaifError('TRADE_OFFER_NOT_FOUND');
      if (offer.state !== 'open') throw new KaifError('TRADE_STATE_CONFLICT', 'This offer is no longer open');
      if (offer.seller_id === buyerId) throw new KaifError('TRADE_FORBIDDEN', 'You cannot take your own offer');
      const tradeId = randomUUID();
      const sellAmount = BigInt(offer.sell_amount);
      let sellerHoldId: string | null = null;
      let swapTransactionId: string | null = null;
      let state: TradeState = 'awaiting_payment';
      if (offer.price_asset !== null && offer.price_amount !== null) {
        const price = BigInt(offer.price_amount);
        const { transaction } = await this.wallet.postIn(
          trx,
          {
            idempotencyKey: `trade:${tradeId}:swap`,
            kind: 'trade.swap',
            actor,
            metadata: { tradeId, offerId },
            postings: [
              { account: { user: offer.seller_id }, asset: offer.sell_asset, amount: -sellAmount },
              { account: { user: buyerId }, asset: offer.sell_asset, amount: sellAmount },
              { account: { user: buyerId }, asset: offer.price_asset, amount: -price },
              { account: { user: offer.seller_id }, asset: offer.price_asset, amount: price },
            ],
          },
          buyerId,
        );
        swapTransactionId = transaction.id;
        state = 'released';
      } else {
        const hold = await this.wallet.holdEscrow(
          { userId: offer.seller_id, asset: offer.sell_asset, amount: sellAmount, idempotencyKey: `trade:${tradeId}:hold`, reference: `trade:${tradeId}`, actor },
          trx,
        );
        sellerHoldId = hold.id;
      }
      const trade = await trx
        .insertInto('wallet.trades')
        .values({
          id: tradeId,
          offer_id: offer.id,
          take_key: takeKey,
          seller_id: offer.seller_id,
          buyer_id: buyerId,
          sell_asset: offer.sell_asset,
          sell_amount: offer.sell_amount,
          price_asset: offer.price_asset,
          price_amount: offer.price_amount,
          state,
          seller_hold_id: sellerHoldId,
          swap_transaction_id: swapTransactionId,
          paid_at: null,
          expires_at: sql<Date>`now() + make_interval(secs => ${this.timeoutMs() / 1000})`,
          resolution: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.updateTable('wallet.trade_offers').set({ state: 'taken' }).where('id', '=', offer.id).execute();
      await this.event(trx, state === 'released' ? 'trade.swapped' : 'trade.taken', trade);
      return trade;
    });
  }

  /** The buyer says they paid off-platform (informational: only the seller's confirmation releases). */
  markPaid(buyerId: string, tradeId: string, actor: LedgerActor): Promise<TradeRow> {
    return this.step(tradeId, actor, 'trade.paid', async (trx, trade) => {
      if (trade.buyer_id !== buyerId) throw new KaifError('TRADE_FORBIDDEN');
      if (trade.paid_at !== null) return trade;
      this.expectState(trade, ['awaiting_payment']);
      return this.update(trx, trade.id, { paid_at: new Date() });
    });
  }

  /** The seller confirms the payment arrived: escrow → buyer. */
  confirm(sellerId: string, tradeId: string, actor: LedgerActor): Promise<TradeRow> {
    return this.step(tradeId, actor, 'trade.release', async (trx, trade) => {
      if (trade.seller_id !== sellerId) throw new KaifError('TRADE_FORBIDDEN', 'Only the seller confirms the payment');
      if (trade.state === 'released') return trade;
      this.expectState(trade, ['awaiting_payment']);
      return this.release(trx, trade, actor, 'confirmed by the seller');
    });
  }

  /** The buyer backs out before paying: escrow → seller. */
  cancel(buyerId: string, tradeId: string, actor: LedgerActor): Promise<TradeRow> {
    return this.step(tradeId, actor, 'trade.cancel', async (trx, trade) => {
      if (trade.buyer_id !== buyerId) throw new KaifError('TRADE_FORBIDDEN', 'Only the buyer cancels; the seller waits for the timeout or opens a dispute');
      if (trade.state === 'cancelled') return trade;
      this.expectState(trade, ['awaiting_payment']);
      return this.refund(trx, trade, actor, 'cancelled', 'cancelled by the buyer');
    });
  }

  /** Either party stops the clock; an admin decides. */
  dispute(userId: string, tradeId: string, actor: LedgerActor): Promise<TradeRow> {
    return this.step(tradeId, actor, 'trade.dispute', async (trx, trade) => {
      if (trade.buyer_id !== userId && trade.seller_id !== userId) throw new KaifError('TRADE_FORBIDDEN');
      if (trade.state === 'disputed') return trade;
      this.expectState(trade, ['awaiting_payment']);
      const disputed = await this.update(trx, trade.id, { state: 'disputed', resolution: `disputed by the ${trade.buyer_id === userId ? 'buyer' : 'seller'}` });
      await this.event(trx, 'trade.disputed', disputed);
      return disputed;
    });
  }

  /** An admin settles a dispute: release to the buyer or refund the seller. */
  resolve(tradeId: string, outcome: 'release' | 'refund', note: string | undefined, actor: LedgerActor): Promise<TradeRow> {
    return this.step(tradeId, actor, 'trade.resolve', async (trx, trade) => {
      this.expectState(trade, ['disputed']);
      const resolution = `resolved by an admin: ${outcome}${note ? ` (${note})` : ''}`;
      return outcome === 'release' ? this.release(trx, trade, actor, resolution) : this.refund(trx, trade, actor, 'refunded', resolution);
    });
  }

  /** Refunds the sellers of trades past their deadline (the worker's sweep). Returns how many it refunded. */
  async expire(limit = 100): Promise<number> {
    const due = await this.wallet.db
      .selectFrom('wallet.trades')
      .select('id')
      .where('state', '=', 'awaiting_payment')
      .where('expires_at', '<=', sql<Date>`now()`)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    let refunded = 0;
    const system: LedgerActor = { kind: 'system', id: 'trade-timeout' };
    for (const { id } of due) {
      try {
        await this.step(id, system, 'trade.timeout', async (trx, trade) => {
          // Confirmed, cancelled or disputed since it was read: nothing to do.
          if (trade.state !== 'awaiting_payment' || new Date(trade.expires_at).getTime() > Date.now()) return trade;
          refunded += 1;
          return this.refund(trx, trade, system, 'refunded', 'timed out: the seller did not confirm a payment in time');
        });
      } catch (error) {
        this.logger.warn({ tradeId: id, err: (error as Error).message }, 'could not expire a trade; will retry');
      }
    }
    return refunded;
  }

  async get(userId: string | null, tradeId: string): Promise<TradeRow> {
    const trade = await this.wallet.db.selectFrom('wallet.trades').selectAll().where('id', '=', tradeId).executeTakeFirst();
    if (!trade || (userId !== null && trade.buyer_id !== userId && trade.seller_id !== userId)) throw new KaifError('TRADE_NOT_FOUND');
    return trade;
  }

  listMine(userId: string, limit: number): Promise<TradeRow[]> {
    return this.wallet.db
      .selectFrom('wallet.trades')
      .selectAll()
      .where((eb) => eb.or([eb('buyer_id', '=', userId), eb('seller_id', '=', userId)]))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** One step: the trade row locked, then `work`, in one transaction (refusals audited after the rollback). */
  private step(tradeId: string, actor: LedgerActor, action: string, work: (trx: WalletTrx, trade: TradeRow) => Promise<TradeRow>): Promise<TradeRow> {
    return this.wallet.audited(undefined, { actor, action, details: { tradeId } }, async (trx) => {
      const trade = await trx.selectFrom('wallet.trades').selectAll().where('id', '=', tradeId).forUpdate().executeTakeFirst();
      if (!trade) throw new KaifError('TRADE_NOT_FOUND');
      const after = await work(trx, trade);
      if (after !== trade) await this.audit(trx, actor, action, null, { tradeId, state: after.state });
      return after;
    });
  }

  private async release(trx: WalletTrx, trade: TradeRow, actor: LedgerActor, resolution: string): Promise<TradeRow> {
    await this.wallet.releaseEscrow({ holdId: trade.seller_hold_id as string, toUserId: trade.buyer_id, idempotencyKey: `trade:${trade.id}:release`, actor }, trx);
    const released = await this.update(trx, trade.id, { state: 'released', resolution });
    await this.event(trx, 'trade.released', released);
    return released;
  }

  private async refund(trx: WalletTrx, trade: TradeRow, actor: LedgerActor, state: 'refunded' | 'cancelled', resolution: string): Promise<TradeRow> {
    await this.wallet.refundEscrow({ holdId: trade.seller_hold_id as string, idempotencyKey: `trade:${trade.id}:refund`, actor }, trx);
    const refunded = await this.update(trx, trade.id, { state, resolution });
    await this.event(trx, `trade.${state}`, refunded);
    return refunded;
  }

  private expectState(trade: TradeRow, states: readonly TradeState[]): void {
    if (!states.includes(trade.state)) throw new KaifError('TRADE_STATE_CONFLICT', `The trade is ${trade.state}`);
  }

  private update(trx: WalletTrx, tradeId: string, changes: Partial<Pick<TradeRow, 'state' | 'resolution' | 'paid_at'>>): Promise<TradeRow> {
    return trx
      .updateTable('wallet.trades')
      .set({ ...changes, updated_at: sql`now()` })
      .where('id', '=', tradeId)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  private event(trx: WalletTrx, type: string, trade: TradeRow): Promise<void> {
    return enqueueEvents(trx as unknown as Transaction<unknown>, [{ subject: TRADE_EVENTS_SUBJECT, payload: { type, trade: tradeView(trade) } }]);
  }

  private async audit(trx: WalletTrx, actor: LedgerActor, action: string, subjectUserId: string | null, details: Record<string, unknown>): Promise<void> {
    await trx
      .insertInto('wallet.audit_log')
      .values({
        actor_kind: actor.kind,
        actor_id: actor.id,
        session_id: actor.sessionId ?? null,
        action,
        outcome: 'ok',
        subject_user_id: subjectUserId,
        transaction_id: null,
        details: JSON.stringify(details),
      })
      .execute();
  }
}

export function tradeView(trade: TradeRow): TradeView {
  return {
    id: trade.id,
    offerId: trade.offer_id,
    sellerId: trade.seller_id,
    buyerId: trade.buyer_id,
    sellAsset: trade.sell_asset,
    sellAmount: String(trade.sell_amount),
    priceAsset: trade.price_asset,
    priceAmount: trade.price_amount === null ? null : String(trade.price_amount),
    state: trade.state,
    expiresAt: new Date(trade.expires_at).toISOString(),
    createdAt: new Date(trade.created_at).toISOString(),
    resolution: trade.resolution,
  };
}

export function offerView(offer: OfferRow) {
  return {
    id: offer.id,
    sellerId: offer.seller_id,
    sellAsset: offer.sell_asset,
    sellAmount: String(offer.sell_amount),
    priceAsset: offer.price_asset,
    priceAmount: offer.price_amount === null ? null : String(offer.price_amount),
    paymentTerms: offer.payment_terms,
    state: offer.state,
    createdAt: new Date(offer.created_at).toISOString(),
  };
}

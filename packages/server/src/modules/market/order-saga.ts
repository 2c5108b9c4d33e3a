import { randomUUID } from 'node:crypto';
import type { UserId } from '@kaif/protocol';
import { type Transaction, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import { enqueueEvents } from '../../platform/outbox/outbox.js';
import type { ListingService } from './listing-service.js';
import type { MarketDb, MarketTables, OrderState, OrdersTable } from './market-tables.js';
import { type OrderEvent, orderEventSubject } from './order-events.js';
import type { NftCustody } from './nft-custody.js';
import type { Payments } from './payments.js';

/** Why an NFT order failed when its on-chain transfer reverted: the token left the seller's wallet, the listing closes. */
const NFT_TRANSFER_FAILED = 'the NFT transfer failed on chain';
/** The transfer can never be mined (the seller address's nonce moved past it): the token never moved, the stock comes back. */
const NFT_TRANSFER_NEVER_MINED = 'the NFT transfer was never mined';
/** The hot wallet's gas top-up can never be mined: the transfer was never sent, the stock comes back. */
const NFT_GAS_FAILED = 'the gas for the NFT transfer could not be sent';
/** Compensations that end the order `failed` (the others are cancellations). */
const FAILURES = ['insufficient funds', NFT_TRANSFER_FAILED, NFT_TRANSFER_NEVER_MINED, NFT_GAS_FAILED];

export interface SagaTimings {
  /** How long the seller has to ship a paid order before it is refunded. */
  readonly shipTimeoutMs: number;
  /** How long the buyer has to confirm receipt of a shipped order before the seller is paid anyway. */
  readonly receiptTimeoutMs: number;
  /** How long one driver holds an order; a driver that died is replaced after this. */
  readonly leaseMs: number;
}

/**
 * Points where a test makes the saga stop as a crash would: after a
 * step's effect outside the order's transaction (the wallet call) and
 * before it is recorded, or right after a step was recorded.
 */
export interface SagaFaults {
  afterEffect?(orderId: string, step: string): void | Promise<void>;
  afterRecord?(orderId: string, step: string): void | Promise<void>;
}

export type OrderRow = OrdersTable & { readonly created_at: Date; readonly updated_at: Date; readonly stock_reserved: boolean };

/** States in which the saga has work to do now, whatever the clock says. */
const ACTIVE: readonly OrderState[] = ['requested', 'stock_reserved', 'transferring', 'releasing', 'compensating'];
const FINAL: readonly OrderState[] = ['completed', 'failed', 'cancelled'];

/**
 * Orders as an orchestrated saga over a persisted state machine:
 *
 *   requested ─reserve stock→ stock_reserved ─hold escrow→ paid
 *   paid ─seller ships→ shipped ─buyer confirms (or receipt timeout)→ releasing ─release escrow→ completed
 *   out of stock → failed; insufficient funds, cancellation, ship timeout → compensating
 *   compensating ─refund escrow (if held), give the stock back→ failed | cancelled
 *
 * Every step and compensation is one row of `market.order_steps`, written
 * in the transaction that moves the state, so the journal and the state
 * never disagree. Stock moves in that same transaction, and so does the
 * escrow when the wallet shares the database (it joins the transaction:
 * the hold and `paid` commit together). Each wallet call also carries an
 * idempotency key derived from the order and the step (`order:<id>:hold`),
 * so a step repeated after a crash — a driver that died is replaced once
 * its lease expires, see MarketWorker — gets the first result from a
 * wallet that does not share the transaction. State changes are
 * conditional on the state they leave, so a user's action and a timeout
 * racing for one order cannot both win; the loser's transaction rolls
 * back with its wallet call.
 */
export class OrderSaga {
  constructor(
    private readonly db: MarketDb,
    private readonly listings: ListingService,
    private readonly payments: Payments,
    private readonly timings: SagaTimings,
    private readonly logger: Logger,
    private readonly committed: () => void,
    private readonly faults: SagaFaults = {},
    private readonly nfts?: NftCustody,
  ) {}

  /** A buyer's order: the same requestKey again is the same order. The saga starts at once; resumes elsewhere if this process dies. */
  async place(buyerId: UserId, listingId: string, quantity: number, requestKey: string): Promise<OrderRow> {
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10_000) throw new KaifError('VALIDATION_FAILED', 'quantity is a whole number from 1', { field: 'quantity' });
    if (requestKey.length < 1 || requestKey.length > 100) throw new KaifError('VALIDATION_FAILED', 'requestKey is 1 to 100 characters', { field: 'requestKey' });
    const existing = await this.db.selectFrom('market.orders').selectAll().where('buyer_id', '=', buyerId).where('request_key', '=', requestKey).executeTakeFirst();
    if (existing) return existing as OrderRow;
    const listing = await this.listings.row(listingId);
    if (listing?.status !== 'approved') throw new KaifError('LISTING_NOT_FOUND');
    if (listing.seller_id === buyerId) throw new KaifError('LISTING_NOT_BUYABLE', 'You cannot buy your own listing');
    if (listing.kind === 'nft' && quantity !== 1) throw new KaifError('VALIDATION_FAILED', 'an NFT is bought one at a time', { field: 'quantity' });
    if (listing.kind === 'nft' && !this.nfts) throw new KaifError('LISTING_NOT_BUYABLE', 'NFTs cannot be bought on this server');
    const id = randomUUID();
    const amount = (BigInt(listing.price) * BigInt(quantity)).toString();
    const order = await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('market.orders')
        .values({
          id,
          buyer_id: buyerId,
          seller_id: listing.seller_id,
          listing_id: listing.id,
          quantity,
          asset: listing.asset,
          amount,
          state: 'requested',
          reason: null,
          hold_id: null,
          deadline_at: null,
          lease_until: null,
          request_key: requestKey,
          nft_tx_hash: null,
          nft_raw_tx: null,
          nft_gas_tx_hash: null,
          nft_gas_raw_tx: null,
          nft_gas_funded_at: null,
          nft_gas_cost: null,
        })
        .onConflict((conflict) => conflict.columns(['buyer_id', 'request_key']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) await this.announce(trx, inserted as OrderRow, listing.title);
      return inserted as OrderRow | undefined;
    });
    if (!order) return (await this.db.selectFrom('market.orders').selectAll().where('buyer_id', '=', buyerId).where('request_key', '=', requestKey).executeTakeFirstOrThrow()) as OrderRow;
    this.committed();
    await this.driveQuietly(order.id);
    return this.order(order.id);
  }

  /** The seller confirms and ships a paid order; the buyer then has the receipt timeout to confirm. */
  async ship(sellerId: UserId, orderId: string): Promise<OrderRow> {
    const order = await this.orderOf(orderId, (row) => row.seller_id === sellerId);
    // An NFT is delivered on chain by the saga, never by the seller's word.
    if ((await this.listings.row(order.listing_id))?.kind === 'nft') throw new KaifError('ORDER_STATE_CONFLICT', 'An NFT order is delivered on chain');
    await this.move(order, 'paid', 'shipped', 'ship', { deadline_at: sql<Date>`now() + ${`${this.timings.receiptTimeoutMs} milliseconds`}::interval` });
    return this.order(orderId);
  }

  /** The buyer confirms receipt of a shipped order: the seller is paid. */
  async confirmReceipt(buyerId: UserId, orderId: string): Promise<OrderRow> {
    const order = await this.orderOf(orderId, (row) => row.buyer_id === buyerId);
    await this.move(order, 'shipped', 'releasing', 'confirm_receipt', { deadline_at: null });
    await this.driveQuietly(orderId);
    return this.order(orderId);
  }

  /** The buyer or the seller cancels a paid order before it ships: the buyer is refunded, the stock returned. */
  async cancel(userId: UserId, orderId: string): Promise<OrderRow> {
    const order = await this.orderOf(orderId, (row) => row.buyer_id === userId || row.seller_id === userId);
    const by = order.buyer_id === userId ? 'buyer' : 'seller';
    await this.move(order, 'paid', 'compensating', `cancel_by_${by}`, { deadline_at: null, reason: `cancelled by the ${by}` });
    await this.driveQuietly(orderId);
    return this.order(orderId);
  }

  async order(orderId: string): Promise<OrderRow> {
    return (await this.db.selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow()) as OrderRow;
  }

  /** Orders with work due now that no live driver holds: what the worker resumes. */
  async due(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('market.orders')
      .select('id')
      .where('state', 'not in', FINAL)
      .where((eb) => eb.or([eb('state', 'in', ACTIVE), eb('deadline_at', '<=', sql<Date>`now()`)]))
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /** Runs the saga as far as it can go now. Never throws: what fails is retried by the worker once the lease lapses. */
  async driveQuietly(orderId: string): Promise<void> {
    try {
      await this.drive(orderId);
    } catch (error) {
      this.logger.warn({ orderId, err: (error as Error).message }, 'order saga stopped; the worker resumes it');
    }
  }

  /** Takes the order's lease, runs its due steps in order, and gives the lease back. Throws when a step could not finish. */
  async drive(orderId: string): Promise<void> {
    const leased = await this.db
      .updateTable('market.orders')
      .set({ lease_until: sql<Date>`now() + ${`${this.timings.leaseMs} milliseconds`}::interval` })
      .where('id', '=', orderId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
      .returning('id')
      .executeTakeFirst();
    if (!leased) return;
    for (let steps = 0; steps < 10; steps++) {
      if (!(await this.step(await this.order(orderId)))) break;
    }
    await this.db.updateTable('market.orders').set({ lease_until: null }).where('id', '=', orderId).execute();
  }

  /** One step of the saga for the order's state; false when nothing more is due now. */
  private async step(order: OrderRow): Promise<boolean> {
    const title = async () => (await this.listings.row(order.listing_id))?.title ?? '';
    switch (order.state) {
      case 'requested': {
        const reserved = await this.db.transaction().execute(async (trx) => {
          const taken = await trx
            .updateTable('market.listings')
            .set({ stock: sql`stock - ${order.quantity}` })
            .where('id', '=', order.listing_id)
            .where('status', '=', 'approved')
            .where('stock', '>=', order.quantity)
            .returning('title')
            .executeTakeFirst();
          const next = taken
            ? await this.transition(trx, order, 'requested', 'stock_reserved', 'reserve_stock', 'done', null, { stock_reserved: true })
            : await this.transition(trx, order, 'requested', 'failed', 'reserve_stock', 'failed', 'out of stock', { reason: 'out of stock' });
          if (next) await this.announce(trx, next, taken?.title ?? (await titleIn(trx, order.listing_id)));
          return next;
        });
        await this.recorded(order, 'reserve_stock', reserved);
        return reserved?.state === 'stock_reserved';
      }
      case 'stock_reserved': {
        const name = await title();
        // An NFT order is due for its transfer as soon as it is paid (the worker resumes it from there).
        const nft = this.nfts !== undefined && (await this.listings.row(order.listing_id))?.kind === 'nft';
        const next = await this.db.transaction().execute(async (trx) => {
          const hold = await this.payments.hold(
            { userId: order.buyer_id as UserId, asset: order.asset, amount: order.amount, idempotencyKey: `order:${order.id}:hold`, reference: `market:order:${order.id}` },
            trx,
          );
          await this.faults.afterEffect?.(order.id, 'hold_escrow');
          const moved = hold.ok
            ? await this.transition(trx, order, 'stock_reserved', 'paid', 'hold_escrow', 'done', hold.holdId, {
                hold_id: hold.holdId,
                deadline_at: nft ? sql<Date>`now()` : sql<Date>`now() + ${`${this.timings.shipTimeoutMs} milliseconds`}::interval`,
              })
            : await this.transition(trx, order, 'stock_reserved', 'compensating', 'hold_escrow', 'failed', hold.reason, { reason: 'insufficient funds' });
          if (!moved) throw new StateMoved(order.id);
          if (moved.state === 'paid') await this.announce(trx, moved, name);
          return moved;
        });
        await this.recorded(order, 'hold_escrow', next);
        return next.state === 'compensating' || nft;
      }
      case 'paid': {
        const listing = await this.listings.row(order.listing_id);
        if (listing?.kind === 'nft' && this.nfts) return this.signNftTransfer(order, listing, this.nfts);
        if (!isPast(order.deadline_at)) return false;
        const next = await this.move(order, 'paid', 'compensating', 'ship_timeout', { deadline_at: null, reason: 'the seller did not ship in time' }).catch(() => undefined);
        return next !== undefined;
      }
      case 'shipped': {
        if (!isPast(order.deadline_at)) return false;
        const next = await this.move(order, 'shipped', 'releasing', 'receipt_timeout', { deadline_at: null }).catch(() => undefined);
        return next !== undefined;
      }
      case 'transferring': {
        const listing = await this.listings.row(order.listing_id);
        if (!this.nfts || !listing?.nft_chain || !order.nft_raw_tx || !order.nft_tx_hash) return false;
        if (order.nft_gas_raw_tx && !order.nft_gas_funded_at) return this.fundGas(order, listing.nft_chain, this.nfts);
        // Sent again each round until it has its confirmations (the same bytes: a resend never transfers twice; a reorg that dropped it is undone).
        await this.nfts.broadcast(listing.nft_chain, order.nft_raw_tx);
        await this.faults.afterEffect?.(order.id, 'send_transfer');
        const progress = await this.nfts.progress(listing.nft_chain, order.nft_raw_tx);
        if (progress.state === 'pending' || progress.state === 'confirming') return false;
        const gas = progress.state === 'dropped' ? 0n : progress.gasCost;
        const spent = { nft_gas_cost: sql<string>`coalesce(nft_gas_cost, 0) + ${gas.toString()}::numeric` };
        const next = await this.db.transaction().execute(async (trx) => {
          const moved =
            progress.state === 'succeeded'
              ? await this.transition(trx, order, 'transferring', 'releasing', 'nft_transfer', 'done', order.nft_tx_hash, spent)
              : await this.transition(trx, order, 'transferring', 'compensating', 'nft_transfer', 'failed', order.nft_tx_hash, {
                  ...spent,
                  reason: progress.state === 'reverted' ? NFT_TRANSFER_FAILED : NFT_TRANSFER_NEVER_MINED,
                });
          if (!moved) throw new StateMoved(order.id);
          return moved;
        });
        await this.recorded(order, 'nft_transfer', next);
        return true;
      }
      case 'releasing': {
        const name = await title();
        const next = await this.db.transaction().execute(async (trx) => {
          await this.payments.release({ holdId: order.hold_id!, toUserId: order.seller_id as UserId, idempotencyKey: `order:${order.id}:release` }, trx);
          // A sold token: the listing closes (the buyer may list it again) and the seller pays the transfer's gas out of the proceeds.
          if (order.nft_tx_hash) await this.settleNft(trx, order, true);
          await this.faults.afterEffect?.(order.id, 'release_escrow');
          const moved = await this.transition(trx, order, 'releasing', 'completed', 'release_escrow', 'done', order.hold_id, {});
          if (!moved) throw new StateMoved(order.id);
          await this.announce(trx, moved, name);
          return moved;
        });
        await this.recorded(order, 'release_escrow', next);
        return false;
      }
      case 'compensating': {
        const name = await title();
        const next = await this.db.transaction().execute(async (trx) => {
          if (order.hold_id) {
            await this.payments.refund({ holdId: order.hold_id, idempotencyKey: `order:${order.id}:refund` }, trx);
            await this.journal(trx, order.id, 'refund_escrow', 'done', order.hold_id);
            await this.faults.afterEffect?.(order.id, 'refund_escrow');
          }
          // A token that left the seller's wallet is not for sale again: its stock stays taken, its listing closes.
          if (order.nft_tx_hash) await this.settleNft(trx, order, order.reason === NFT_TRANSFER_FAILED);
          if (order.stock_reserved && order.reason !== NFT_TRANSFER_FAILED) {
            await trx.updateTable('market.listings').set({ stock: sql`stock + ${order.quantity}` }).where('id', '=', order.listing_id).execute();
            await this.journal(trx, order.id, 'release_stock', 'done', String(order.quantity));
          }
          const final: OrderState = order.reason !== null && FAILURES.includes(order.reason) ? 'failed' : 'cancelled';
          const moved = await this.transition(trx, order, 'compensating', final, 'compensated', 'done', null, { stock_reserved: false });
          if (!moved) throw new StateMoved(order.id);
          await this.announce(trx, moved, name);
          return moved;
        });
        await this.recorded(order, 'compensated', next);
        return false;
      }
      default:
        return false;
    }
  }

  /**
   * A paid NFT order: signs the seller's custodial transfer to the buyer's
   * custodial address (and, when the seller's address is short of gas, the
   * hot wallet's top-up) and stores the raw bytes and hashes in the
   * transaction that moves the order to `transferring`; only then is
   * anything sent. A driver that dies before the commit sent nothing; after
   * it, the next one sends the stored bytes (the same hashes), never a
   * second signature.
   */
  private async signNftTransfer(order: OrderRow, listing: { nft_chain: string | null; nft_contract: string | null; nft_token_id: string | null }, nfts: NftCustody): Promise<boolean> {
    if (!listing.nft_chain || !listing.nft_contract || listing.nft_token_id === null) return false;
    const to = await nfts.addressOf(order.buyer_id);
    const next = await this.db.transaction().execute(async (trx) => {
      const signed = await nfts.signTransfer(
        { chain: listing.nft_chain!, sellerId: order.seller_id, contract: listing.nft_contract!, tokenId: BigInt(listing.nft_token_id!), to },
        trx as never,
      );
      const moved = await this.transition(trx, order, 'paid', 'transferring', 'sign_transfer', 'done', signed.hash, {
        nft_tx_hash: signed.hash,
        nft_raw_tx: signed.raw,
        nft_gas_tx_hash: signed.gasTopUp?.hash ?? null,
        nft_gas_raw_tx: signed.gasTopUp?.raw ?? null,
        deadline_at: null,
      });
      if (!moved) throw new StateMoved(order.id);
      return moved;
    });
    await this.recorded(order, 'sign_transfer', next);
    await nfts.broadcast(listing.nft_chain, next.nft_gas_raw_tx ?? next.nft_raw_tx!);
    return true;
  }

  /**
   * The hot wallet's gas top-up to the seller's address, sent again each
   * round until it has its confirmations; only then is the transfer sent.
   * One that can never be mined (the hot wallet's nonce moved past it)
   * compensates: the transfer was never sent.
   */
  private async fundGas(order: OrderRow, chain: string, nfts: NftCustody): Promise<boolean> {
    await nfts.broadcast(chain, order.nft_gas_raw_tx!);
    await this.faults.afterEffect?.(order.id, 'send_gas');
    const progress = await nfts.progress(chain, order.nft_gas_raw_tx!);
    if (progress.state === 'pending' || progress.state === 'confirming') return false;
    const next = await this.db.transaction().execute(async (trx) => {
      const moved =
        progress.state === 'succeeded'
          ? await trx
              .updateTable('market.orders')
              .set({ nft_gas_funded_at: new Date(), nft_gas_cost: progress.gasCost.toString(), updated_at: new Date() })
              .where('id', '=', order.id)
              .where('state', '=', 'transferring')
              .where('nft_gas_funded_at', 'is', null)
              .returningAll()
              .executeTakeFirst()
          : await this.transition(trx, order, 'transferring', 'compensating', 'fund_gas', 'failed', order.nft_gas_tx_hash, {
              nft_gas_cost: progress.state === 'reverted' ? progress.gasCost.toString() : null,
              reason: NFT_GAS_FAILED,
            });
      if (!moved) throw new StateMoved(order.id);
      if (progress.state === 'succeeded') await this.journal(trx, order.id, 'fund_gas', 'done', order.nft_gas_tx_hash);
      return moved as OrderRow;
    });
    await this.recorded(order, 'fund_gas', next);
    if (next.state === 'transferring') await nfts.broadcast(chain, order.nft_raw_tx!);
    return true;
  }

  /**
   * An NFT order ending, in its final transaction: the gas its top-up and
   * transfer burned is charged to the seller (in the chain's coin, at most
   * what they hold; README "Gas"), and the listing closes when the token
   * left the seller's wallet (sold, or gone before the transfer).
   */
  private async settleNft(trx: Transaction<MarketTables>, order: OrderRow, tokenGone: boolean): Promise<void> {
    const listing = await trx.selectFrom('market.listings').select(['nft_chain']).where('id', '=', order.listing_id).executeTakeFirstOrThrow();
    const gas = BigInt(order.nft_gas_cost ?? '0');
    if (gas > 0n && listing.nft_chain) {
      const charged = await this.payments.chargeChainGas(
        { userId: order.seller_id as UserId, asset: listing.nft_chain, amount: gas, idempotencyKey: `order:${order.id}:gas`, reference: `market:order:${order.id}` },
        trx,
      );
      await this.journal(trx, order.id, 'charge_gas', 'done', charged.toString());
      if (charged < gas) this.logger.warn({ orderId: order.id, gas: gas.toString(), charged: charged.toString() }, 'the seller could not pay all the NFT transfer gas; the rest is the platform’s');
    }
    if (tokenGone) await trx.updateTable('market.listings').set({ nft_closed_at: new Date() }).where('id', '=', order.listing_id).where('nft_closed_at', 'is', null).execute();
  }

  /** A state change a user or a timeout asks for, outside the driver: conditional on the state it leaves. */
  private async move(order: OrderRow, from: OrderState, to: OrderState, step: string, changes: Partial<Record<keyof OrdersTable, unknown>>): Promise<OrderRow> {
    const name = (await this.listings.row(order.listing_id))?.title ?? '';
    const next = await this.db.transaction().execute(async (trx) => {
      const moved = await this.transition(trx, order, from, to, step, 'done', null, changes);
      if (moved) await this.announce(trx, moved, name);
      return moved;
    });
    if (!next) throw new KaifError('ORDER_STATE_CONFLICT', `The order is ${(await this.order(order.id)).state}, not ${from}`);
    this.committed();
    await this.faults.afterRecord?.(order.id, step);
    return next;
  }

  private async transition(
    trx: Transaction<MarketTables>,
    order: OrderRow,
    from: OrderState,
    to: OrderState,
    step: string,
    outcome: 'done' | 'failed',
    detail: string | null,
    changes: Partial<Record<keyof OrdersTable, unknown>>,
  ): Promise<OrderRow | undefined> {
    const moved = await trx
      .updateTable('market.orders')
      .set({ ...(changes as object), state: to, updated_at: new Date() })
      .where('id', '=', order.id)
      .where('state', '=', from)
      .returningAll()
      .executeTakeFirst();
    if (!moved) return undefined;
    await this.journal(trx, order.id, step, outcome, detail);
    return moved as OrderRow;
  }

  private async journal(trx: Transaction<MarketTables>, orderId: string, step: string, outcome: 'done' | 'failed', detail: string | null): Promise<void> {
    await trx
      .insertInto('market.order_steps')
      .values({ order_id: orderId, step, outcome, detail })
      .onConflict((conflict) => conflict.columns(['order_id', 'step']).doNothing())
      .execute();
  }

  /** The order's event through the outbox, in the transaction that changed it: buyer and seller hear of it at least once. */
  private async announce(trx: Transaction<MarketTables>, order: OrderRow, title: string): Promise<void> {
    const event: OrderEvent = {
      type: 'market.order',
      orderId: order.id,
      state: order.state,
      buyerId: order.buyer_id,
      sellerId: order.seller_id,
      listingId: order.listing_id,
      title,
      quantity: order.quantity,
      asset: order.asset,
      amount: order.amount,
      reason: order.reason,
      at: new Date().toISOString(),
    };
    await enqueueEvents(trx as never, [{ subject: orderEventSubject(order.id), payload: event as never }]);
  }

  private async recorded(order: OrderRow, step: string, next: OrderRow | undefined): Promise<void> {
    if (!next) return;
    this.committed();
    await this.faults.afterRecord?.(order.id, step);
  }

  private async orderOf(orderId: string, allowed: (row: OrderRow) => boolean): Promise<OrderRow> {
    const row = /^[0-9a-f-]{36}$/i.test(orderId) ? ((await this.db.selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirst()) as OrderRow | undefined) : undefined;
    if (!row || !allowed(row)) throw new KaifError('ORDER_NOT_FOUND');
    return row;
  }
}

/** The order changed state under the driver (another driver or a user's action won): its transaction rolls back, the wallet call with it. */
class StateMoved extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} moved on while a step ran`);
  }
}

const isPast = (at: Date | null) => at !== null && new Date(at).getTime() <= Date.now();

async function titleIn(trx: Transaction<MarketTables>, listingId: string): Promise<string> {
  return (await trx.selectFrom('market.listings').select('title').where('id', '=', listingId).executeTakeFirst())?.title ?? '';
}

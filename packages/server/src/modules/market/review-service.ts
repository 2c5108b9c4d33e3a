import type { UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { MarketDb, ReviewsTable } from './market-tables.js';

export type ReviewRow = ReviewsTable & { readonly created_at: Date };

/**
 * Reviews: the buyer of a completed order reviews it once (1–5 stars and a
 * text); the seller replies once. The listing's and the seller's rating
 * (sum and count, averaged on read) move in the review's transaction.
 */
export class ReviewService {
  constructor(private readonly db: MarketDb) {}

  async review(buyerId: UserId, orderId: string, rating: number, text: string): Promise<ReviewRow> {
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new KaifError('VALIDATION_FAILED', 'rating is a whole number from 1 to 5', { field: 'rating' });
    const body = text.trim();
    if ([...body].length > 4000) throw new KaifError('VALIDATION_FAILED', 'text is at most 4000 characters', { field: 'text' });
    const order = /^[0-9a-f-]{36}$/i.test(orderId) ? await this.db.selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirst() : undefined;
    if (!order || order.buyer_id !== buyerId || order.state !== 'completed') throw new KaifError('REVIEW_NOT_ALLOWED');
    const review = await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('market.reviews')
        .values({ order_id: order.id, listing_id: order.listing_id, seller_id: order.seller_id, buyer_id: buyerId, rating, text: body, reply: null, replied_at: null })
        .onConflict((conflict) => conflict.column('order_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) return undefined;
      await trx.updateTable('market.listings').set({ rating_sum: sql`rating_sum + ${rating}`, rating_count: sql`rating_count + 1` }).where('id', '=', order.listing_id).execute();
      await trx.updateTable('market.sellers').set({ rating_sum: sql`rating_sum + ${rating}`, rating_count: sql`rating_count + 1` }).where('user_id', '=', order.seller_id).execute();
      return inserted as ReviewRow;
    });
    if (!review) throw new KaifError('REVIEW_NOT_ALLOWED', 'This order was already reviewed');
    return review;
  }

  async reply(sellerId: UserId, orderId: string, text: string): Promise<ReviewRow> {
    const body = text.trim();
    if ([...body].length < 1 || [...body].length > 4000) throw new KaifError('VALIDATION_FAILED', 'text is 1 to 4000 characters', { field: 'text' });
    const row = /^[0-9a-f-]{36}$/i.test(orderId)
      ? await this.db
          .updateTable('market.reviews')
          .set({ reply: body, replied_at: new Date() })
          .where('order_id', '=', orderId)
          .where('seller_id', '=', sellerId)
          .where('reply', 'is', null)
          .returningAll()
          .executeTakeFirst()
      : undefined;
    if (!row) throw new KaifError('REVIEW_NOT_ALLOWED', 'Only the seller replies to a review, once');
    return row as ReviewRow;
  }

  async ofListing(listingId: string, limit: number): Promise<ReviewRow[]> {
    return (await this.db.selectFrom('market.reviews').selectAll().where('listing_id', '=', listingId).orderBy('created_at', 'desc').limit(limit).execute()) as ReviewRow[];
  }

  async ofOrder(orderId: string): Promise<ReviewRow | undefined> {
    return (await this.db.selectFrom('market.reviews').selectAll().where('order_id', '=', orderId).executeTakeFirst()) as ReviewRow | undefined;
  }
}

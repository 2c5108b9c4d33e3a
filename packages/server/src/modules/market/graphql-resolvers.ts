import type { UserId } from '@kaif/protocol';
import { GraphQLScalarType, Kind } from 'graphql';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { IdentityApi } from '../identity/api.js';
import type { CatalogueQuery, CatalogueSearch, CatalogueSort } from './catalogue-search.js';
import { type ListingRow, type ListingService, type NftListingInput, type SellerRow, type Viewer, mayView } from './listing-service.js';
import { collectionName, collectionPage } from './nft-collections.js';
import type { NftCustody } from './nft-custody.js';
import type { NftDetailsGatherer } from './nft-details.js';
import type { MarketDb } from './market-tables.js';
import type { OrderRow, OrderSaga } from './order-saga.js';
import type { ReviewRow, ReviewService } from './review-service.js';

export interface MarketServices {
  readonly db: MarketDb;
  readonly listings: ListingService;
  readonly search: CatalogueSearch;
  readonly saga: OrderSaga;
  readonly reviews: ReviewService;
  readonly identity: IdentityApi;
  readonly nfts: NftCustody;
  readonly nftDetails: NftDetailsGatherer;
}

/** What every resolver sees: the caller (every operation needs one) and per-request memos. */
export interface MarketContext {
  readonly viewer: Viewer | undefined;
  readonly sellers: Map<string, Promise<SellerRow | undefined>>;
}

const MAX_LIST = 100;
const clamp = (limit: number | null | undefined, fallback = 20) => Math.min(Math.max(limit ?? fallback, 1), MAX_LIST);

const AMOUNT = /^(0|[1-9][0-9]{0,77})$/;
const Amount = new GraphQLScalarType({
  name: 'Amount',
  serialize: (value) => String(value),
  parseValue(value) {
    if (typeof value !== 'string' || !AMOUNT.test(value)) throw new KaifError('VALIDATION_FAILED', 'An Amount is a decimal string of whole smallest units');
    return value;
  },
  parseLiteral(node) {
    if (node.kind !== Kind.STRING || !AMOUNT.test(node.value)) throw new KaifError('VALIDATION_FAILED', 'An Amount is a decimal string of whole smallest units');
    return node.value;
  },
});

/** The order if the viewer is its buyer, its seller or an admin; null otherwise (whether or not it exists). */
export async function orderSeenBy(db: MarketDb, viewer: Viewer, id: string): Promise<OrderRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const order = await db.selectFrom('market.orders').selectAll().where('id', '=', id).executeTakeFirst();
  if (!order || (order.buyer_id !== viewer.userId && order.seller_id !== viewer.userId && !viewer.admin)) return null;
  return order as OrderRow;
}

export const viewerOf = (context: MarketContext): Viewer => {
  if (!context.viewer) throw new KaifError('UNAUTHORIZED');
  return context.viewer;
};

const photo = (id: string) => ({ id, url: `/api/v1/media/${id}`, thumbnailUrl: `/api/v1/media/${id}/thumbnail` });
export const upper = (value: string) => value.toUpperCase();
const lower = <T extends string>(value: T | null | undefined) => (value ? (value.toLowerCase() as Lowercase<T>) : value);
const average = (sum: number, count: number) => (Number(count) > 0 ? Number(sum) / Number(count) : null);
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

interface ListingInputArgs {
  readonly kind: 'PRODUCT' | 'SERVICE';
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly asset: string;
  readonly price: string;
  readonly stock: number;
  readonly attributes?: { key: string; value: string }[] | null;
  readonly photoIds?: string[] | null;
}

const listingInput = (input: Partial<ListingInputArgs>) =>
  Object.fromEntries(
    Object.entries({ ...input, kind: lower(input.kind) }).filter(([, value]) => value !== undefined && value !== null),
  ) as never;

/** The resolvers of graphql-schema.ts over the module's services. Authorization lives in the services; resolvers only shape. */
export function marketResolvers(services: MarketServices) {
  const { listings, saga, reviews } = services;
  const sellerOf = (context: MarketContext, id: string) => {
    let memo = context.sellers.get(id);
    if (!memo) {
      memo = listings.seller(id);
      context.sellers.set(id, memo);
    }
    return memo;
  };
  const orderFor = (context: MarketContext, id: string) => orderSeenBy(services.db, viewerOf(context), id);
  return {
    Amount,
    Query: {
      async listing(_: unknown, args: { id: string }, context: MarketContext) {
        const viewer = viewerOf(context);
        const row = await listings.row(args.id);
        return row && mayView(viewer, row) ? row : null;
      },
      async search(_: unknown, args: { input: CatalogueQuery & { kind?: string | null } }, context: MarketContext) {
        viewerOf(context);
        return services.search.search({ ...args.input, kind: lower(args.input.kind), sort: args.input.sort as CatalogueSort | null });
      },
      async seller(_: unknown, args: { id: string }, context: MarketContext) {
        viewerOf(context);
        return (await sellerOf(context, args.id)) ?? null;
      },
      async myStore(_: unknown, __: unknown, context: MarketContext) {
        return (await sellerOf(context, viewerOf(context).userId)) ?? null;
      },
      moderationQueue: (_: unknown, args: { limit?: number }, context: MarketContext) => listings.moderationQueue(viewerOf(context), clamp(args.limit, 50)),
      order: (_: unknown, args: { id: string }, context: MarketContext) => orderFor(context, args.id),
      async myOrders(_: unknown, args: { role: 'BUYER' | 'SELLER'; limit?: number }, context: MarketContext) {
        const viewer = viewerOf(context);
        return services.db
          .selectFrom('market.orders')
          .selectAll()
          .where(args.role === 'BUYER' ? 'buyer_id' : 'seller_id', '=', viewer.userId)
          .orderBy('created_at', 'desc')
          .limit(clamp(args.limit))
          .execute();
      },
      async nftCollection(_: unknown, args: { chain: string; contract: string; limit?: number; after?: string | null }, context: MarketContext) {
        viewerOf(context);
        return collectionPage(services.db, args.chain, args.contract, clamp(args.limit, 24), args.after);
      },
    },
    Mutation: {
      openStore: (_: unknown, args: { storeName: string; about?: string }, context: MarketContext) => listings.openStore(viewerOf(context).userId, args.storeName, args.about ?? ''),
      createListing: (_: unknown, args: { input: ListingInputArgs }, context: MarketContext) => listings.create(viewerOf(context).userId, listingInput(args.input)),
      listNft: (_: unknown, args: { input: NftListingInput }, context: MarketContext) => listings.createNft(viewerOf(context).userId, args.input, services.nfts, services.nftDetails),
      updateListing: (_: unknown, args: { id: string; patch: Partial<ListingInputArgs> }, context: MarketContext) =>
        listings.update(viewerOf(context).userId, args.id, listingInput(args.patch)),
      moderateListing: (_: unknown, args: { id: string; decision: 'APPROVE' | 'REJECT'; reason?: string | null }, context: MarketContext) =>
        listings.moderate(viewerOf(context), args.id, args.decision === 'APPROVE' ? 'approve' : 'reject', args.reason ?? undefined),
      async reportListing(_: unknown, args: { id: string; reason: string }, context: MarketContext) {
        await listings.report(viewerOf(context), args.id, args.reason);
        return true;
      },
      placeOrder: (_: unknown, args: { listingId: string; quantity?: number; requestKey: string }, context: MarketContext) =>
        saga.place(viewerOf(context).userId, args.listingId, args.quantity ?? 1, args.requestKey),
      shipOrder: (_: unknown, args: { id: string }, context: MarketContext) => saga.ship(viewerOf(context).userId, args.id),
      confirmReceipt: (_: unknown, args: { id: string }, context: MarketContext) => saga.confirmReceipt(viewerOf(context).userId, args.id),
      cancelOrder: (_: unknown, args: { id: string }, context: MarketContext) => saga.cancel(viewerOf(context).userId, args.id),
      reviewOrder: (_: unknown, args: { orderId: string; rating: number; text?: string }, context: MarketContext) =>
        reviews.review(viewerOf(context).userId, args.orderId, args.rating, args.text ?? ''),
      replyToReview: (_: unknown, args: { orderId: string; text: string }, context: MarketContext) => reviews.reply(viewerOf(context).userId, args.orderId, args.text),
    },
    Listing: {
      kind: (row: ListingRow) => upper(row.kind),
      nft: (row: ListingRow) =>
        row.kind === 'nft'
          ? {
              chain: row.nft_chain,
              contract: row.nft_contract,
              tokenId: String(row.nft_token_id),
              name: row.nft_name,
              image: row.nft_image_id ? photo(row.nft_image_id) : null,
              collectionName: () => collectionName(services.db, row.nft_chain!, row.nft_contract!),
            }
          : null,
      status: (row: ListingRow) => upper(row.status),
      price: (row: ListingRow) => String(row.price),
      attributes: (row: ListingRow) => Object.entries(row.attributes ?? {}).map(([key, value]) => ({ key, value })),
      photos: (row: ListingRow) => row.photo_ids.map(photo),
      rejectionReason: (row: ListingRow, _: unknown, context: MarketContext) => (context.viewer?.admin || context.viewer?.userId === row.seller_id ? row.rejection_reason : null),
      reportCount: (row: ListingRow, _: unknown, context: MarketContext) => (context.viewer?.admin ? row.report_count : null),
      rating: (row: ListingRow) => average(row.rating_sum, row.rating_count),
      reviewCount: (row: ListingRow) => Number(row.rating_count),
      seller: async (row: ListingRow, _: unknown, context: MarketContext) => (await sellerOf(context, row.seller_id)) ?? { user_id: row.seller_id, store_name: '', about: '', rating_sum: 0, rating_count: 0 },
      reviews: (row: ListingRow, args: { limit?: number }) => reviews.ofListing(row.id, clamp(args.limit)),
      createdAt: (row: ListingRow) => iso(row.created_at),
      updatedAt: (row: ListingRow) => iso(row.updated_at),
    },
    Seller: {
      id: (row: SellerRow) => row.user_id,
      storeName: (row: SellerRow) => row.store_name,
      username: async (row: SellerRow) => (await services.identity.getUser(row.user_id as UserId))?.username ?? null,
      displayName: async (row: SellerRow) => (await services.identity.getUser(row.user_id as UserId))?.displayName ?? null,
      rating: (row: SellerRow) => average(row.rating_sum, row.rating_count),
      reviewCount: (row: SellerRow) => Number(row.rating_count),
      listings: (row: SellerRow, args: { limit?: number }, context: MarketContext) => listings.storefront(viewerOf(context), row.user_id, clamp(args.limit)),
    },
    Review: {
      orderId: (row: ReviewRow) => row.order_id,
      listingId: (row: ReviewRow) => row.listing_id,
      buyerId: (row: ReviewRow) => row.buyer_id,
      createdAt: (row: ReviewRow) => iso(row.created_at),
    },
    Order: {
      listing: async (row: OrderRow, _: unknown, context: MarketContext) => {
        const listing = await listings.row(row.listing_id);
        // The parties of an order always see what it was for, even once the listing is no longer approved.
        return listing && (mayView(viewerOf(context), listing) || row.buyer_id === context.viewer?.userId) ? listing : null;
      },
      buyerId: (row: OrderRow) => row.buyer_id,
      sellerId: (row: OrderRow) => row.seller_id,
      amount: (row: OrderRow) => String(row.amount),
      state: (row: OrderRow) => upper(row.state),
      deadlineAt: (row: OrderRow) => iso(row.deadline_at),
      nftTxHash: (row: OrderRow) => row.nft_tx_hash ?? null,
      steps: async (row: OrderRow) =>
        (await services.db.selectFrom('market.order_steps').selectAll().where('order_id', '=', row.id).orderBy('at').execute()).map((step) => ({ ...step, at: iso(step.at) })),
      review: async (row: OrderRow) => (await reviews.ofOrder(row.id)) ?? null,
      createdAt: (row: OrderRow) => iso(row.created_at),
      updatedAt: (row: OrderRow) => iso(row.updated_at),
    },
  };
}

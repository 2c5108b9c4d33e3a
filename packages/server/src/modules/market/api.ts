import type { UserId } from '@kaif/protocol';

/** A seller's standing, as other modules may show it (a profile, a chat header). */
export interface SellerStanding {
  readonly storeName: string;
  /** Average of the seller's reviews; null before the first. */
  readonly rating: number | null;
  readonly reviewCount: number;
}

/** The market module's public interface: the rest of the marketplace is GraphQL at /api/graphql. */
export interface MarketApi {
  /** The user's storefront standing; undefined when they never opened a store. */
  sellerStanding(userId: UserId): Promise<SellerStanding | undefined>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    market: MarketApi;
  }
}

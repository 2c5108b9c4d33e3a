/** A marketplace GraphQL error with the server's stable code (API.md errors, in `extensions.code`). */
export class MarketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MarketError';
  }
}

/** POST /api/graphql with the bearer token, as every REST call is made. */
export async function marketQuery<T>(baseUrl: string, token: string | null, query: string, variables: Readonly<Record<string, unknown>> = {}): Promise<T> {
  const response = await fetch(new URL('/api/graphql', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    data?: T;
    errors?: { message: string; extensions?: { code?: string } }[];
    error?: { code: string; message: string };
  };
  const error = body.errors?.[0] ?? (body.error ? { message: body.error.message, extensions: { code: body.error.code } } : undefined);
  if (error) throw new MarketError(error.extensions?.code ?? 'INTERNAL', error.message);
  return body.data as T;
}

export interface Photo {
  readonly id: string;
  readonly url: string;
  readonly thumbnailUrl: string;
}

/** An NFT listing's token: where it lives, and what its metadata said (the image is stored and served by our server). */
export interface NftToken {
  readonly chain: string;
  readonly contract: string;
  readonly tokenId: string;
  readonly name: string | null;
  readonly collectionName: string | null;
  readonly image: Photo | null;
}

export interface Listing {
  readonly id: string;
  readonly kind: 'PRODUCT' | 'SERVICE' | 'NFT';
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly asset: string;
  readonly price: string;
  readonly stock: number;
  readonly status: 'PENDING' | 'APPROVED' | 'REJECTED';
  readonly rejectionReason: string | null;
  readonly rating: number | null;
  readonly reviewCount: number;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
  readonly photos: readonly Photo[];
  readonly seller: { readonly id: string; readonly storeName: string; readonly displayName: string | null; readonly rating: number | null; readonly reviewCount: number };
  readonly nft: NftToken | null;
}

export type ListingCard = Pick<Listing, 'id' | 'title' | 'price' | 'asset' | 'stock' | 'rating' | 'reviewCount' | 'photos'> & { readonly nft: Pick<NftToken, 'chain' | 'contract' | 'tokenId'> | null };

export interface Review {
  readonly orderId: string;
  readonly rating: number;
  readonly text: string;
  readonly reply: string | null;
  readonly createdAt: string;
}

export type OrderState = 'REQUESTED' | 'STOCK_RESERVED' | 'PAID' | 'TRANSFERRING' | 'SHIPPED' | 'RELEASING' | 'COMPENSATING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface Order {
  readonly id: string;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly quantity: number;
  readonly asset: string;
  readonly amount: string;
  readonly state: OrderState;
  readonly reason: string | null;
  readonly deadlineAt: string | null;
  readonly createdAt: string;
  readonly listing: { readonly id: string; readonly title: string; readonly kind: Listing['kind']; readonly photos: readonly Photo[] } | null;
  /** An NFT order: the hash of the token's transfer on chain, once signed. */
  readonly nftTxHash: string | null;
  readonly steps: readonly { readonly step: string; readonly outcome: string; readonly at: string }[];
  readonly review: Review | null;
}

export interface Facets {
  readonly categories: readonly { readonly value: string; readonly count: number }[];
  readonly prices: readonly { readonly asset: string; readonly from: string; readonly to: string; readonly count: number }[];
  readonly attributes: readonly { readonly key: string; readonly values: readonly { readonly value: string; readonly count: number }[] }[];
  readonly ratings: readonly { readonly atLeast: number; readonly count: number }[];
  readonly inStock: number;
}

export interface SearchResult {
  readonly total: number;
  readonly nextCursor: string | null;
  readonly listings: readonly ListingCard[];
  readonly facets: Facets;
}

export const LISTING = `id kind title description category asset price stock status rejectionReason rating reviewCount
  attributes { key value } photos { id url thumbnailUrl } seller { id storeName displayName rating reviewCount }
  nft { chain contract tokenId name collectionName image { id url thumbnailUrl } }`;

export const ORDER = `id buyerId sellerId quantity asset amount state reason deadlineAt createdAt nftTxHash
  listing { id title kind photos { id url thumbnailUrl } } steps { step outcome at } review { orderId rating text reply createdAt }`;

/** An order in a list: what a row shows (cheap under the server's complexity limit). */
export const ORDER_ROW = `id buyerId sellerId quantity asset amount state reason createdAt listing { id title }`;

/** A listing in the seller's list. */
export const LISTING_ROW = `id title price asset stock status rejectionReason`;

/** A listing as a search result card shows it. */
export const LISTING_CARD = `id title price asset stock rating reviewCount photos { id url thumbnailUrl } nft { chain contract tokenId }`;

export const SEARCH = `query ($input: SearchInput!) { search(input: $input) { total nextCursor listings { ${LISTING_CARD} }
  facets { categories { value count } prices { asset from to count } attributes { key values { value count } } ratings { atLeast count } inStock } } }`;

const DECIMALS: Readonly<Record<string, number>> = { ETH: 18, BNB: 18, TON: 9 };

/** A price in whole units of its asset, exactly (no float): "0.025 ETH". */
export function formatAmount(amount: string, asset: string): string {
  const decimals = DECIMALS[asset] ?? 0;
  const digits = amount.padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} ${asset}`;
}

/** Whole units typed by a person ("0.025") as smallest units ("25000000000000000"); null when it is not a price. */
export function parseAmount(text: string, asset: string): string | null {
  const decimals = DECIMALS[asset] ?? 0;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match || (match[2]?.length ?? 0) > decimals) return null;
  const value = BigInt(`${match[1]}${(match[2] ?? '').padEnd(decimals, '0')}`);
  return value > 0n ? value.toString() : null;
}

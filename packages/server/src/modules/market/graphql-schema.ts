/**
 * The marketplace's GraphQL schema (API.md "Marketplace"), published by
 * introspection, at GET /api/graphql/schema.graphql, and as schema.graphql
 * beside this file (a test keeps it equal to this). Amounts are decimal
 * strings of the asset's smallest unit, never floats. Lists take `limit`,
 * which the complexity limit counts (graphql-limits.ts).
 */
export const MARKET_SDL = /* GraphQL */ `
"A decimal string of whole smallest units of an asset (wei, nanoton)."
scalar Amount

enum ListingKind {
  PRODUCT
  SERVICE
  NFT
}

enum ListingStatus {
  PENDING
  APPROVED
  REJECTED
}

enum CatalogueSort {
  RELEVANCE
  PRICE_ASC
  PRICE_DESC
  RATING
  NEWEST
}

enum OrderState {
  REQUESTED
  STOCK_RESERVED
  PAID
  "An NFT order: the token's transfer is signed and on its way on chain."
  TRANSFERRING
  SHIPPED
  RELEASING
  COMPENSATING
  COMPLETED
  FAILED
  CANCELLED
}

type Attribute {
  key: String!
  value: String!
}

input AttributeInput {
  key: String!
  value: String!
}

type Photo {
  id: ID!
  "GET it with the Authorization header (or POST /api/v1/media/{id}/link for a tokenless link)."
  url: String!
  thumbnailUrl: String!
}

type Seller {
  id: ID!
  username: String
  displayName: String
  storeName: String!
  about: String!
  "Average of the seller's reviews; null before the first."
  rating: Float
  reviewCount: Int!
  listings(limit: Int = 20): [Listing!]!
}

type Review {
  orderId: ID!
  listingId: ID!
  buyerId: ID!
  rating: Int!
  text: String!
  reply: String
  createdAt: String!
}

type Listing {
  id: ID!
  kind: ListingKind!
  title: String!
  description: String!
  category: String!
  asset: String!
  price: Amount!
  stock: Int!
  attributes: [Attribute!]!
  photos: [Photo!]!
  status: ListingStatus!
  "Why an admin rejected it: seen by its seller and admins."
  rejectionReason: String
  "Seen by admins only."
  reportCount: Int
  rating: Float
  reviewCount: Int!
  seller: Seller!
  "The ERC-721 token of an NFT listing; null for products and services."
  nft: NftToken
  reviews(limit: Int = 20): [Review!]!
  createdAt: String!
  updatedAt: String!
}

type FacetCount {
  value: String!
  count: Int!
}

type AttributeFacet {
  key: String!
  values: [FacetCount!]!
}

type PriceBucket {
  asset: String!
  from: Amount!
  to: Amount!
  count: Int!
}

type RatingFacet {
  atLeast: Int!
  count: Int!
}

type Facets {
  categories: [FacetCount!]!
  prices: [PriceBucket!]!
  attributes: [AttributeFacet!]!
  ratings: [RatingFacet!]!
  inStock: Int!
}

type SearchResult {
  listings: [Listing!]!
  total: Int!
  nextCursor: String
  facets: Facets!
}

type OrderStep {
  step: String!
  outcome: String!
  detail: String
  at: String!
}

type Order {
  id: ID!
  listing: Listing
  buyerId: ID!
  sellerId: ID!
  quantity: Int!
  asset: String!
  amount: Amount!
  state: OrderState!
  "Why it was cancelled or failed."
  reason: String
  "The seller must ship (PAID) or the buyer confirm (SHIPPED) before then."
  deadlineAt: String
  steps: [OrderStep!]!
  "An NFT order: the hash of the token's transfer, once signed."
  nftTxHash: String
  review: Review
  createdAt: String!
  updatedAt: String!
}

input SearchInput {
  text: String
  category: String
  kind: ListingKind
  asset: String
  minPrice: Amount
  maxPrice: Amount
  "Each key must have one of the values given for it."
  attributes: [AttributeInput!]
  minRating: Int
  inStock: Boolean
  sellerId: ID
  sort: CatalogueSort
  after: String
  limit: Int = 20
}

type NftToken {
  "The EVM asset whose chain holds it (ETH, BNB, …)."
  chain: String!
  contract: String!
  tokenId: String!
  "The token's name in its metadata (tokenURI); null when it has none or it could not be read."
  name: String
  "The token's image from its metadata, stored and served by this server (also the listing's first photo); null when it could not be read."
  image: Photo
  "The contract's name() as read when the token was listed."
  collectionName: String
}

"One ERC-721 contract's approved listings, by token id."
type NftCollection {
  chain: String!
  contract: String!
  "The contract's name() and symbol(); null before one of its tokens is listed, or when it has none."
  name: String
  symbol: String
  listings: [Listing!]!
  "Pass as after for the next page; null on the last."
  nextCursor: String
}

input NftListingInput {
  chain: String!
  contract: String!
  tokenId: String!
  title: String!
  description: String!
  category: String!
  asset: String!
  price: Amount!
  attributes: [AttributeInput!]
  photoIds: [ID!]
}

input ListingInput {
  kind: ListingKind!
  title: String!
  description: String!
  category: String!
  asset: String!
  price: Amount!
  stock: Int!
  attributes: [AttributeInput!]
  "Media ids of images the seller uploaded (POST /api/v1/media)."
  photoIds: [ID!]
}

input ListingPatch {
  kind: ListingKind
  title: String
  description: String
  category: String
  asset: String
  price: Amount
  stock: Int
  attributes: [AttributeInput!]
  photoIds: [ID!]
}

enum ModerationDecision {
  APPROVE
  REJECT
}

enum OrderRole {
  BUYER
  SELLER
}

type Query {
  "Approved listings; the seller and admins also see their pending and rejected ones."
  listing(id: ID!): Listing
  search(input: SearchInput!): SearchResult!
  seller(id: ID!): Seller
  "The caller's storefront, if they opened one."
  myStore: Seller
  "Admins only: listings waiting for approval and reported ones."
  moderationQueue(limit: Int = 50): [Listing!]!
  order(id: ID!): Order
  myOrders(role: OrderRole!, limit: Int = 20): [Order!]!
  "A collection page: an ERC-721 contract's approved NFT listings (chain: its EVM asset)."
  nftCollection(chain: String!, contract: String!, limit: Int = 24, after: String): NftCollection!
}

type Mutation {
  "Opens (or renames) the caller's storefront: the seller role."
  openStore(storeName: String!, about: String = ""): Seller!
  "A new listing waits for an admin's approval."
  createListing(input: ListingInput!): Listing!
  "An ERC-721 token the caller's custodial wallet holds (ownership read from the chain); waits for approval like any listing."
  listNft(input: NftListingInput!): Listing!
  "The listing's seller only; a change to anything but the stock sends it back to moderation."
  updateListing(id: ID!, patch: ListingPatch!): Listing!
  moderateListing(id: ID!, decision: ModerationDecision!, reason: String): Listing!
  reportListing(id: ID!, reason: String!): Boolean!
  "The same requestKey again returns the same order."
  placeOrder(listingId: ID!, quantity: Int = 1, requestKey: String!): Order!
  shipOrder(id: ID!): Order!
  confirmReceipt(id: ID!): Order!
  cancelOrder(id: ID!): Order!
  reviewOrder(orderId: ID!, rating: Int!, text: String = ""): Review!
  replyToReview(orderId: ID!, text: String!): Review!
}

"An order's state change as the saga committed it, delivered live over WebSocket (graphql-transport-ws)."
type OrderUpdate {
  orderId: ID!
  "The state this change moved the order into."
  state: OrderState!
  "Why it was cancelled or failed."
  reason: String
  "When the change was committed."
  at: String!
  "The order as it stands when the update is delivered (what the order page shows)."
  order: Order
}

type Subscription {
  "One order's state changes; its buyer, its seller or an admin only (ORDER_NOT_FOUND otherwise)."
  orderUpdated(orderId: ID!): OrderUpdate!
  "State changes of every order the caller buys or sells."
  myOrderUpdates: OrderUpdate!
}
`;

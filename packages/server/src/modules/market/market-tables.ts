import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { ModuleMigrations } from '../../platform/db/database.js';

export type ListingKind = 'product' | 'service' | 'nft';
export type ListingStatus = 'pending' | 'approved' | 'rejected';

/**
 * Where an order stands. `requested`, `stock_reserved`, `releasing` and
 * `compensating` are steps the saga runs at once; `paid` waits for the
 * seller to ship, `shipped` for the buyer's receipt, each until its
 * deadline; `completed`, `failed` and `cancelled` are final.
 */
export type OrderState = 'requested' | 'stock_reserved' | 'paid' | 'transferring' | 'shipped' | 'releasing' | 'compensating' | 'completed' | 'failed' | 'cancelled';

export const FINAL_ORDER_STATES: readonly OrderState[] = ['completed', 'failed', 'cancelled'];

/** A seller: a user who opened a storefront. */
export interface SellersTable {
  user_id: string;
  store_name: string;
  about: string;
  rating_sum: Generated<number>;
  rating_count: Generated<number>;
  created_at: Generated<Date>;
}

export interface ListingsTable {
  id: string;
  seller_id: string;
  kind: ListingKind;
  title: string;
  description: string;
  category: string;
  /** A wallet asset code (ETH, TON, …). */
  asset: string;
  /** Whole smallest units (wei, nanoton): numeric(78,0) read back as a decimal string. */
  price: string;
  stock: number;
  attributes: Record<string, string>;
  photo_ids: string[];
  status: ListingStatus;
  rejection_reason: string | null;
  report_count: Generated<number>;
  rating_sum: Generated<number>;
  rating_count: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** NFT listings: the EVM asset whose chain holds the token, the ERC-721 contract (checksummed) and the token id (decimal). */
  nft_chain: string | null;
  nft_contract: string | null;
  nft_token_id: string | null;
  /** NFT listings: when the token was sold or left the seller's wallet; the listing is closed (its token may be listed again). */
  nft_closed_at: Date | null;
  /** NFT listings: the token's name from its metadata, and its image stored as a photo (also first in photo_ids); null when the metadata had none or could not be read. */
  nft_name: string | null;
  nft_image_id: string | null;
}

/** An ERC-721 contract's `name()` and `symbol()`, read when one of its tokens was last listed. */
export interface NftCollectionsTable {
  chain: string;
  /** Lowercase, as listings hold it. */
  contract: string;
  name: string | null;
  symbol: string | null;
  updated_at: Generated<Date>;
}

export interface ReportsTable {
  listing_id: string;
  reporter_id: string;
  reason: string;
  created_at: Generated<Date>;
}

export interface OrdersTable {
  id: string;
  buyer_id: string;
  seller_id: string;
  listing_id: string;
  quantity: number;
  asset: string;
  /** price × quantity, in smallest units. */
  amount: string;
  state: OrderState;
  /** What the compensation undoes and why (failure, cancellation, timeout); null unless compensating or ended so. */
  reason: string | null;
  /** The wallet escrow hold, once placed. */
  hold_id: string | null;
  /** Whether the stock is reserved now (the compensation gives it back once). */
  stock_reserved: Generated<boolean>;
  /** The seller must ship (state paid) or the buyer confirm (state shipped) before then. */
  deadline_at: Date | null;
  /** A driver holds the order until then; past it, another may take it (the first one died). */
  lease_until: Date | null;
  /** The buyer's key for the request: the same key again is the same order. */
  request_key: string;
  /** NFT orders: the signed transfer (raw bytes and hash), stored before it is first sent, sent again as is after a crash. */
  nft_tx_hash: string | null;
  nft_raw_tx: string | null;
  /** NFT orders whose seller address was short of gas: the hot wallet's top-up, stored before it is first sent (like the transfer). */
  nft_gas_tx_hash: string | null;
  nft_gas_raw_tx: string | null;
  /** When the top-up had its confirmations: only then is the transfer sent. */
  nft_gas_funded_at: Date | null;
  /** Gas the top-up and the transfer spent (wei of the token's chain), once their receipts are in. */
  nft_gas_cost: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The saga's journal: every step and compensation that took effect, once each. */
export interface OrderStepsTable {
  order_id: string;
  step: string;
  outcome: 'done' | 'failed';
  detail: string | null;
  at: Generated<Date>;
}

export interface ReviewsTable {
  order_id: string;
  listing_id: string;
  seller_id: string;
  buyer_id: string;
  rating: number;
  text: string;
  reply: string | null;
  created_at: Generated<Date>;
  replied_at: Date | null;
}

export interface DeploymentTable {
  singleton: Generated<boolean>;
  id: string;
}

export interface MarketTables {
  'market.deployment': DeploymentTable;
  'market.sellers': SellersTable;
  'market.listings': ListingsTable;
  'market.reports': ReportsTable;
  'market.orders': OrdersTable;
  'market.order_steps': OrderStepsTable;
  'market.reviews': ReviewsTable;
  'market.nft_collections': NftCollectionsTable;
}

export type MarketDb = Kysely<MarketTables>;

const createMarket: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table market.sellers (
        user_id text primary key,
        store_name text not null,
        about text not null default '',
        rating_sum bigint not null default 0,
        rating_count integer not null default 0,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table market.listings (
        id uuid primary key,
        seller_id text not null references market.sellers (user_id),
        kind text not null check (kind in ('product', 'service')),
        title text not null,
        description text not null,
        category text not null,
        asset text not null,
        price numeric(78, 0) not null check (price >= 0),
        stock integer not null check (stock >= 0),
        attributes jsonb not null default '{}',
        photo_ids text[] not null default '{}',
        status text not null check (status in ('pending', 'approved', 'rejected')),
        rejection_reason text,
        report_count integer not null default 0,
        rating_sum bigint not null default 0,
        rating_count integer not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index listings_by_seller on market.listings (seller_id, created_at)`.execute(db);
    await sql`create index listings_by_status on market.listings (status, created_at)`.execute(db);
    await sql`create index listings_photos on market.listings using gin (photo_ids)`.execute(db);
    await sql`create index listings_attributes on market.listings using gin (attributes jsonb_path_ops)`.execute(db);
    await sql`
      create table market.reports (
        listing_id uuid not null references market.listings (id),
        reporter_id text not null,
        reason text not null,
        created_at timestamptz not null default now(),
        primary key (listing_id, reporter_id)
      )`.execute(db);
    await sql`
      create table market.orders (
        id uuid primary key,
        buyer_id text not null,
        seller_id text not null,
        listing_id uuid not null references market.listings (id),
        quantity integer not null check (quantity > 0),
        asset text not null,
        amount numeric(78, 0) not null,
        state text not null,
        reason text,
        hold_id text,
        stock_reserved boolean not null default false,
        deadline_at timestamptz,
        lease_until timestamptz,
        request_key text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (buyer_id, request_key)
      )`.execute(db);
    // The worker's scan: orders not in a final state, by when they are due.
    await sql`
      create index orders_open on market.orders (deadline_at nulls first)
      where state not in ('completed', 'failed', 'cancelled')`.execute(db);
    await sql`create index orders_by_buyer on market.orders (buyer_id, created_at)`.execute(db);
    await sql`create index orders_by_seller on market.orders (seller_id, created_at)`.execute(db);
    await sql`
      create table market.order_steps (
        order_id uuid not null references market.orders (id),
        step text not null,
        outcome text not null check (outcome in ('done', 'failed')),
        detail text,
        at timestamptz not null default now(),
        primary key (order_id, step)
      )`.execute(db);
    await sql`
      create table market.reviews (
        order_id uuid primary key references market.orders (id),
        listing_id uuid not null references market.listings (id),
        seller_id text not null,
        buyer_id text not null,
        rating smallint not null check (rating between 1 and 5),
        text text not null,
        reply text,
        created_at timestamptz not null default now(),
        replied_at timestamptz
      )`.execute(db);
    await sql`create index reviews_by_listing on market.reviews (listing_id, created_at)`.execute(db);
  },
};

/**
 * The catalogue's text search, built like messaging's (search-index.ts
 * there): `russian` stems Russian words and, through its asciiword
 * mapping, English ones; `simple` keeps each word as written so a word
 * being typed matches as a prefix. The title weighs more (A) than the
 * description and category (B). A stored generated column: no write path
 * knows about it.
 */
const createSearch: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table market.listings add column search tsvector generated always as (
        setweight(to_tsvector('russian', title), 'A')
        || setweight(to_tsvector('russian', description || ' ' || category), 'B')
        || setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', description || ' ' || category), 'D')
      ) stored`.execute(db);
    await sql`create index listings_search on market.listings using gin (search) with (gin_pending_list_limit = 128)`.execute(db);
    // Facets and filters run over approved listings only.
    await sql`create index listings_approved_category on market.listings (category, price) where status = 'approved'`.execute(db);
  },
};

/**
 * One row: this deployment's id, made at the first migration. Deployments
 * (or test servers) sharing one NATS name their durable consumers after it,
 * so none takes another's order events.
 */
const createDeployment: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table market.deployment (
        singleton boolean primary key default true check (singleton),
        id uuid not null
      )`.execute(db);
    await sql`insert into market.deployment (id) values (gen_random_uuid())`.execute(db);
  },
};

/** NFT listings (kind 'nft' with chain, contract, token id) and the transfer an NFT order signed. */
const addNfts: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table market.listings drop constraint listings_kind_check`.execute(db);
    await sql`alter table market.listings add constraint listings_kind_check check (kind in ('product', 'service', 'nft'))`.execute(db);
    await sql`alter table market.listings add column nft_chain text, add column nft_contract text, add column nft_token_id numeric(78, 0)`.execute(db);
    await sql`alter table market.listings add constraint listings_nft check ((kind = 'nft') = (nft_contract is not null and nft_token_id is not null and nft_chain is not null))`.execute(db);
    await sql`alter table market.orders add column nft_tx_hash text, add column nft_raw_tx text`.execute(db);
  },
};

/** NFT metadata (the token's name and image) on listings, collections' names, and the index a collection page reads. */
const addNftMetadata: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table market.listings add column nft_name text, add column nft_image_id text`.execute(db);
    await sql`
      create table market.nft_collections (
        chain text not null,
        contract text not null,
        name text,
        symbol text,
        updated_at timestamptz not null default now(),
        primary key (chain, contract)
      )`.execute(db);
    await sql`create index listings_nft_collection on market.listings (nft_chain, nft_contract, nft_token_id, id) where kind = 'nft' and status = 'approved'`.execute(db);
  },
};

/**
 * One token, one active listing: a partial unique index over NFT listings
 * that are pending or approved and not closed (sold, or the token left the
 * wallet), so two concurrent listNft calls for one token cannot both win.
 * Existing duplicates are closed first, all but the oldest. Also the gas
 * top-up an NFT order may need, and the gas it spent.
 */
const addNftChain: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table market.listings add column nft_closed_at timestamptz`.execute(db);
    await sql`
      update market.listings l set nft_closed_at = now()
      where l.kind = 'nft' and l.status in ('pending', 'approved') and exists (
        select 1 from market.listings o
        where o.kind = 'nft' and o.status in ('pending', 'approved') and o.id <> l.id
          and o.nft_chain = l.nft_chain and o.nft_contract = l.nft_contract and o.nft_token_id = l.nft_token_id
          and (o.created_at, o.id) < (l.created_at, l.id))`.execute(db);
    await sql`
      create unique index listings_nft_active on market.listings (nft_chain, nft_contract, nft_token_id)
      where kind = 'nft' and status in ('pending', 'approved') and nft_closed_at is null`.execute(db);
    await sql`
      alter table market.orders add column nft_gas_tx_hash text, add column nft_gas_raw_tx text,
        add column nft_gas_funded_at timestamptz, add column nft_gas_cost numeric(78, 0)`.execute(db);
  },
};

export const marketMigrations: ModuleMigrations = {
  schema: 'market',
  migrations: {
    '0001_market': createMarket,
    '0002_search': createSearch,
    '0003_deployment': createDeployment,
    '0004_nft': addNfts,
    '0005_nft_metadata': addNftMetadata,
    '0006_nft_chain': addNftChain,
  },
};

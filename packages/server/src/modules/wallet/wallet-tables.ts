import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { ModuleMigrations } from '../../platform/db/database.js';

/**
 * One account per owner and asset, with its balance materialised in the
 * same transaction that appends its postings (ledger.ts). The postings are
 * the truth: `reconcileLedger` recomputes every balance from them.
 */
export interface AccountsTable {
  /** `user:<uuid>` or `platform:<name>` (ledger.ts `accountKey`). */
  account: string;
  asset: string;
  kind: 'user' | 'platform';
  user_id: string | null;
  /** numeric(78,0), read as a decimal string. */
  balance: string;
  updated_at: Generated<Date>;
}

/** A ledger transaction: a balanced set of postings, stored once per idempotency key. */
export interface LedgerTransactionsTable {
  id: string;
  seq: Generated<string>;
  idempotency_key: string;
  kind: string;
  /** A digest of kind and postings, so a key reused for something else is refused. */
  fingerprint: string;
  metadata: unknown;
  actor_kind: string;
  actor_id: string | null;
  session_id: string | null;
  created_at: Generated<Date>;
}

export interface PostingsTable {
  transaction_id: string;
  /** The transaction's seq, copied so an account's history is one index scan. */
  seq: string;
  idx: number;
  account: string;
  asset: string;
  /** numeric(78,0), signed: positive credits the account, negative debits it. */
  amount: string;
}

export interface TransfersTable {
  id: string;
  transaction_id: string;
  from_user_id: string;
  to_user_id: string;
  asset: string;
  amount: string;
  chat_id: string | null;
  message_id: string | null;
  message_seq: string | null;
  /** Why the chat message could not be posted (the sender or receiver left the chat); null while it is due or done. */
  message_error: string | null;
  created_at: Generated<Date>;
}

export interface EscrowHoldsTable {
  id: string;
  user_id: string;
  asset: string;
  amount: string;
  reference: string;
  state: 'held' | 'released' | 'refunded';
  hold_transaction_id: string;
  settle_transaction_id: string | null;
  settled_to_user_id: string | null;
  created_at: Generated<Date>;
  settled_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor_kind: string;
  actor_id: string | null;
  session_id: string | null;
  action: string;
  outcome: 'ok' | 'refused';
  subject_user_id: string | null;
  transaction_id: string | null;
  details: unknown;
}

export interface TradeOffersTable {
  id: string;
  seller_id: string;
  sell_asset: string;
  sell_amount: string;
  /** Null when the price is an off-platform payment the seller confirms. */
  price_asset: string | null;
  price_amount: string | null;
  payment_terms: string | null;
  state: 'open' | 'taken' | 'closed';
  /** `<sellerId>:<key>`: a repeated create returns the first offer. */
  idempotency_key: string;
  created_at: Generated<Date>;
}

export type TradeState = 'awaiting_payment' | 'released' | 'refunded' | 'cancelled' | 'disputed';

export interface TradesTable {
  id: string;
  offer_id: string;
  /** `<buyerId>:<key>`: a repeated take returns the first trade. */
  take_key: string;
  seller_id: string;
  buyer_id: string;
  sell_asset: string;
  sell_amount: string;
  price_asset: string | null;
  price_amount: string | null;
  state: TradeState;
  /** The seller's amount in escrow (off-platform payment); null for an asset-for-asset swap, settled at once. */
  seller_hold_id: string | null;
  /** The swap's one ledger transaction (asset-for-asset trades). */
  swap_transaction_id: string | null;
  paid_at: Date | null;
  expires_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  resolution: string | null;
}

export interface WalletTables {
  'wallet.accounts': AccountsTable;
  'wallet.transactions': LedgerTransactionsTable;
  'wallet.postings': PostingsTable;
  'wallet.transfers': TransfersTable;
  'wallet.escrow_holds': EscrowHoldsTable;
  'wallet.audit_log': AuditLogTable;
  'wallet.trade_offers': TradeOffersTable;
  'wallet.trades': TradesTable;
}

export type WalletDb = Kysely<WalletTables>;

/** The one platform account allowed below zero: the world outside the ledger (README.md). */
export const CHAIN_CLEARING = 'platform:chain_clearing';

const createLedger: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table wallet.accounts (
        account text not null,
        asset text not null,
        kind text not null check (kind in ('user', 'platform')),
        user_id uuid,
        balance numeric(78,0) not null default 0,
        updated_at timestamptz not null default now(),
        primary key (account, asset),
        constraint balance_non_negative check (account = 'platform:chain_clearing' or balance >= 0)
      )`.execute(db);
    await sql`
      create table wallet.transactions (
        id uuid primary key,
        seq bigint generated always as identity unique,
        idempotency_key text not null unique,
        kind text not null,
        fingerprint text not null,
        metadata jsonb not null default '{}',
        actor_kind text not null,
        actor_id text,
        session_id uuid,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table wallet.postings (
        transaction_id uuid not null references wallet.transactions (id),
        seq bigint not null,
        idx smallint not null,
        account text not null,
        asset text not null,
        amount numeric(78,0) not null check (amount <> 0),
        primary key (transaction_id, idx)
      )`.execute(db);
    await sql`create index postings_by_account on wallet.postings (account, asset, seq)`.execute(db);
    // Append-only: the ledger is corrected by new transactions, never by edits.
    await sql`
      create function wallet.refuse_change() returns trigger language plpgsql as $fn$
      begin
        raise exception 'wallet ledger rows are append-only (% on %)', tg_op, tg_table_name;
      end
      $fn$`.execute(db);
    await sql`create trigger transactions_append_only before update or delete on wallet.transactions for each row execute function wallet.refuse_change()`.execute(db);
    await sql`create trigger postings_append_only before update or delete on wallet.postings for each row execute function wallet.refuse_change()`.execute(db);

    await sql`
      create table wallet.transfers (
        id uuid primary key,
        transaction_id uuid not null unique references wallet.transactions (id),
        from_user_id uuid not null,
        to_user_id uuid not null,
        asset text not null,
        amount numeric(78,0) not null check (amount > 0),
        chat_id uuid,
        message_id uuid,
        message_seq bigint,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index transfers_from on wallet.transfers (from_user_id, created_at)`.execute(db);
    await sql`create index transfers_to on wallet.transfers (to_user_id, created_at)`.execute(db);

    await sql`
      create table wallet.escrow_holds (
        id uuid primary key,
        user_id uuid not null,
        asset text not null,
        amount numeric(78,0) not null check (amount > 0),
        reference text not null,
        state text not null check (state in ('held', 'released', 'refunded')),
        hold_transaction_id uuid not null unique references wallet.transactions (id),
        settle_transaction_id uuid unique references wallet.transactions (id),
        settled_to_user_id uuid,
        created_at timestamptz not null default now(),
        settled_at timestamptz
      )`.execute(db);
    await sql`create index escrow_holds_by_reference on wallet.escrow_holds (reference)`.execute(db);

    await sql`
      create table wallet.audit_log (
        id bigint generated always as identity primary key,
        at timestamptz not null default now(),
        actor_kind text not null,
        actor_id text,
        session_id uuid,
        action text not null,
        outcome text not null check (outcome in ('ok', 'refused')),
        subject_user_id uuid,
        transaction_id uuid,
        details jsonb not null default '{}'
      )`.execute(db);
    await sql`create index audit_by_subject on wallet.audit_log (subject_user_id, id)`.execute(db);
    await sql`create trigger audit_append_only before update or delete on wallet.audit_log for each row execute function wallet.refuse_change()`.execute(db);
  },
};

const createTrades: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table wallet.trade_offers (
        id uuid primary key,
        seller_id uuid not null,
        sell_asset text not null,
        sell_amount numeric(78,0) not null check (sell_amount > 0),
        price_asset text,
        price_amount numeric(78,0) check (price_amount > 0),
        payment_terms text,
        state text not null check (state in ('open', 'taken', 'closed')),
        idempotency_key text not null unique,
        created_at timestamptz not null default now(),
        check ((price_asset is null) = (price_amount is null))
      )`.execute(db);
    await sql`create index trade_offers_open on wallet.trade_offers (created_at) where state = 'open'`.execute(db);
    await sql`
      create table wallet.trades (
        id uuid primary key,
        offer_id uuid not null unique references wallet.trade_offers (id),
        take_key text not null unique,
        seller_id uuid not null,
        buyer_id uuid not null,
        sell_asset text not null,
        sell_amount numeric(78,0) not null,
        price_asset text,
        price_amount numeric(78,0),
        state text not null check (state in ('awaiting_payment', 'released', 'refunded', 'cancelled', 'disputed')),
        seller_hold_id uuid unique references wallet.escrow_holds (id),
        swap_transaction_id uuid unique references wallet.transactions (id),
        paid_at timestamptz,
        expires_at timestamptz not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        resolution text,
        check ((seller_hold_id is null) <> (swap_transaction_id is null))
      )`.execute(db);
    await sql`create index trades_expiring on wallet.trades (expires_at) where state = 'awaiting_payment'`.execute(db);
    await sql`create index trades_by_seller on wallet.trades (seller_id, created_at)`.execute(db);
    await sql`create index trades_by_buyer on wallet.trades (buyer_id, created_at)`.execute(db);
  },
};

/**
 * A transfer into a chat whose message is not posted yet (the process died
 * between the ledger commit and the chat append): the worker's sweep finds
 * it by this index and posts it (README.md "Transfers in chat").
 */
const addTransferMessageState: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table wallet.transfers add column message_error text`.execute(db);
    await sql`create index transfers_message_due on wallet.transfers (created_at) where chat_id is not null and message_id is null and message_error is null`.execute(db);
  },
};

export const walletMigrations: ModuleMigrations = {
  schema: 'wallet',
  migrations: { '0001_ledger': createLedger, '0002_trades': createTrades, '0003_transfer_message_state': addTransferMessageState },
};

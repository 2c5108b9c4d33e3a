import { type Generated, type Kysely, type Migration, sql } from 'kysely';

/** The HD seed of a chain family (`evm`, `ton`), sealed by the at-rest key with the family as associated data. */
export interface ChainSeedsTable {
  family: string;
  seed_sealed: string;
  created_at: Generated<Date>;
}

/** A user's deposit address on a chain family: the BIP-44 index it was derived at, never reused. */
export interface DepositAddressesTable {
  family: string;
  user_id: string;
  derivation_index: number;
  /** EVM: lower-case 0x address; TON: raw `0:<hex>` form. */
  address: string;
  created_at: Generated<Date>;
}

/** Where the watcher of one asset's chain resumes, and the hash it saw there (reorg detection). */
export interface ChainCursorsTable {
  asset: string;
  /** The last block scanned; the next scan starts after it. */
  block_number: string;
  block_hash: string;
  updated_at: Generated<Date>;
}

/** Blocks the watcher scanned recently, by number, so a reorg is found by walking back to a common ancestor. */
export interface ChainBlocksTable {
  asset: string;
  block_number: string;
  block_hash: string;
}

/**
 * pending → credited after N confirmations; pending → dropped when its block
 * leaves the chain first; credited → reversal_owed when its block leaves the
 * chain after the credit, → reversed once the reversal is posted (it waits
 * in reversal_owed while the user's balance cannot cover it).
 */
export type DepositState = 'pending' | 'credited' | 'dropped' | 'reversal_owed' | 'reversed';

/** A transfer to a deposit address seen on chain; credited once after N confirmations. */
export interface ChainDepositsTable {
  id: Generated<string>;
  asset: string;
  tx_hash: string;
  /** The position of the transfer inside its transaction (0 for a native EVM transfer). */
  log_index: number;
  user_id: string;
  address: string;
  amount: string;
  block_number: string;
  block_hash: string;
  state: DepositState;
  /** How many times it was (re)included after a reorg dropped it; part of the credit's idempotency key. */
  generation: number;
  credit_key: string | null;
  observed_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type WithdrawalState = 'reserved' | 'signed' | 'broadcast' | 'settled' | 'failed';

export interface ChainWithdrawalsTable {
  id: string;
  user_id: string;
  asset: string;
  amount: string;
  fee: string;
  to_address: string;
  idempotency_key: string;
  state: WithdrawalState;
  nonce: string | null;
  /** The hash of the attempt that was mined, once one is. */
  tx_hash: string | null;
  block_number: string | null;
  gas_paid: string | null;
  error: string | null;
  session_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/**
 * Every signed transaction of a withdrawal, stored BEFORE it is broadcast:
 * a worker killed between signing and broadcasting rebroadcasts this raw
 * transaction (same hash) instead of signing anew. Replacements for a stuck
 * transaction are further attempts with the same nonce and higher fees.
 */
export interface WithdrawalAttemptsTable {
  withdrawal_id: string;
  attempt: number;
  tx_hash: string;
  raw_tx: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  created_at: Generated<Date>;
  broadcast_at: Date | null;
}

/** The hot wallet's next nonce per asset, reserved under a row lock in the transaction that stores the signed transaction. */
export interface HotWalletNoncesTable {
  asset: string;
  address: string;
  next_nonce: string;
}

/** Native coin the hot wallet sent to a custodial address to pay an NFT transfer's gas: not a deposit (the watcher skips these hashes). */
export interface GasTopUpsTable {
  asset: string;
  tx_hash: string;
  to_address: string;
  amount: string;
  created_at: Generated<Date>;
}

export interface ChainTables {
  'wallet.gas_top_ups': GasTopUpsTable;
  'wallet.chain_seeds': ChainSeedsTable;
  'wallet.deposit_addresses': DepositAddressesTable;
  'wallet.chain_cursors': ChainCursorsTable;
  'wallet.chain_blocks': ChainBlocksTable;
  'wallet.chain_deposits': ChainDepositsTable;
  'wallet.chain_withdrawals': ChainWithdrawalsTable;
  'wallet.withdrawal_attempts': WithdrawalAttemptsTable;
  'wallet.hot_wallet_nonces': HotWalletNoncesTable;
}

export type ChainDb = Kysely<ChainTables>;

const createChainTables: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table wallet.chain_seeds (
        family text primary key,
        seed_sealed text not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table wallet.deposit_addresses (
        family text not null,
        user_id uuid not null,
        derivation_index integer not null check (derivation_index >= 0),
        address text not null,
        created_at timestamptz not null default now(),
        primary key (family, user_id),
        unique (family, derivation_index),
        unique (family, address)
      )`.execute(db);
    await sql`
      create table wallet.chain_cursors (
        asset text primary key,
        block_number bigint not null,
        block_hash text not null,
        updated_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table wallet.chain_blocks (
        asset text not null,
        block_number bigint not null,
        block_hash text not null,
        primary key (asset, block_number)
      )`.execute(db);
    await sql`
      create table wallet.chain_deposits (
        id uuid primary key default gen_random_uuid(),
        asset text not null,
        tx_hash text not null,
        log_index integer not null,
        user_id uuid not null,
        address text not null,
        amount numeric(78,0) not null check (amount > 0),
        block_number bigint not null,
        block_hash text not null,
        state text not null check (state in ('pending', 'credited', 'dropped', 'reversal_owed', 'reversed')),
        generation integer not null default 0,
        credit_key text,
        observed_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (asset, tx_hash, log_index)
      )`.execute(db);
    await sql`create index chain_deposits_open on wallet.chain_deposits (asset, block_number) where state in ('pending', 'credited', 'reversal_owed')`.execute(db);
    await sql`create index chain_deposits_by_user on wallet.chain_deposits (user_id, observed_at)`.execute(db);
    await sql`
      create table wallet.chain_withdrawals (
        id uuid primary key,
        user_id uuid not null,
        asset text not null,
        amount numeric(78,0) not null check (amount > 0),
        fee numeric(78,0) not null check (fee >= 0),
        to_address text not null,
        idempotency_key text not null,
        state text not null check (state in ('reserved', 'signed', 'broadcast', 'settled', 'failed')),
        nonce bigint,
        tx_hash text,
        block_number bigint,
        gas_paid numeric(78,0),
        error text,
        session_id uuid,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (user_id, idempotency_key)
      )`.execute(db);
    await sql`create index chain_withdrawals_open on wallet.chain_withdrawals (asset, created_at) where state in ('reserved', 'signed', 'broadcast')`.execute(db);
    await sql`create index chain_withdrawals_daily on wallet.chain_withdrawals (user_id, asset, created_at)`.execute(db);
    await sql`create unique index chain_withdrawals_nonce on wallet.chain_withdrawals (asset, nonce) where nonce is not null`.execute(db);
    await sql`
      create table wallet.withdrawal_attempts (
        withdrawal_id uuid not null references wallet.chain_withdrawals (id),
        attempt integer not null,
        tx_hash text not null unique,
        raw_tx text not null,
        max_fee_per_gas numeric(78,0) not null,
        max_priority_fee_per_gas numeric(78,0) not null,
        created_at timestamptz not null default now(),
        broadcast_at timestamptz,
        primary key (withdrawal_id, attempt)
      )`.execute(db);
    await sql`
      create table wallet.hot_wallet_nonces (
        asset text primary key,
        address text not null,
        next_nonce bigint not null check (next_nonce >= 0)
      )`.execute(db);
  },
};

/**
 * The chain side's migrations, merged into the wallet module's map. Named
 * `01xx_` so the ledger's own `00xx_` migrations sort before them.
 */
/** Gas top-ups from the hot wallet to custodial addresses (NFT transfers), stored before they are sent. */
const createGasTopUps: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table wallet.gas_top_ups (
        asset text not null,
        tx_hash text primary key,
        to_address text not null,
        amount numeric(78, 0) not null,
        created_at timestamptz not null default now()
      )`.execute(db);
  },
};

export const chainMigrations: Readonly<Record<string, Migration>> = { '0100_chain_deposits_withdrawals': createChainTables, '0101_gas_top_ups': createGasTopUps };

import type { CustodialNfts } from './chains/custodial-nfts.js';
import type { Transaction } from 'kysely';
import type { AssetInfo } from './assets.js';
import type { LedgerActor, LedgerCheck, LedgerCommand, LedgerTransaction, PostResult } from './ledger.js';

export type { AccountRef, LedgerActor, LedgerCheck, LedgerCommand, LedgerTransaction, PlatformAccount, Posting, PostResult } from './ledger.js';
export type { AssetInfo } from './assets.js';

/**
 * A database transaction a caller already has open (`ctx.db.kysely().transaction()`),
 * to combine a wallet move with its own writes: both commit or neither does.
 * Without one, each call runs its own transaction.
 */
// biome-ignore lint/suspicious/noExplicitAny: any module's table types
export type CallerTransaction = Transaction<any>;

/** An escrow hold: an amount moved from a user's account to the platform's escrow account. */
export interface EscrowHold {
  readonly id: string;
  readonly userId: string;
  readonly asset: string;
  readonly amount: bigint;
  /** The caller's own reference (e.g. `market:order:<id>`), for its bookkeeping. */
  readonly reference: string;
  readonly state: 'held' | 'released' | 'refunded';
  /** Who received it on release; the holder on refund; null while held. */
  readonly settledToUserId: string | null;
  readonly holdTransactionId: string;
  readonly settleTransactionId: string | null;
}

export interface HoldEscrowCommand {
  readonly userId: string;
  readonly asset: string;
  /** Smallest units, > 0. */
  readonly amount: bigint;
  /** Unique per hold; a repeat returns the first hold. */
  readonly idempotencyKey: string;
  readonly reference: string;
  /** Defaults to the system (`{kind: 'system', id: null}`); pass the user's session when a user acts. */
  readonly actor?: LedgerActor;
}

export interface SettleEscrowCommand {
  readonly holdId: string;
  readonly idempotencyKey: string;
  readonly actor?: LedgerActor;
}

export interface WalletBalance {
  readonly asset: string;
  readonly amount: bigint;
}

/** An internal transfer between two users, instant and free. */
export interface Transfer {
  readonly id: string;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly asset: string;
  readonly amount: bigint;
  readonly chatId: string | null;
  readonly messageId: string | null;
  readonly transactionId: string;
  readonly createdAt: Date;
}

/**
 * The wallet module's public interface (README.md beside this file). Every
 * method that moves money is idempotent by its key and is one balanced
 * ledger transaction; every one takes an optional CallerTransaction.
 */
export interface WalletApi {
  /** The enabled assets, in configuration order. */
  assets(): readonly AssetInfo[];
  /**
   * The ledger seam for chain code (deposits, reversals, withdrawals) and
   * other modules: appends a balanced set of postings. Throws KaifError
   * INSUFFICIENT_FUNDS when a user or non-clearing platform account would go
   * below zero (the transaction must then roll back), LEDGER_UNBALANCED,
   * ASSET_NOT_ENABLED, IDEMPOTENCY_KEY_REUSED. Writes an audit row too.
   */
  post(command: LedgerCommand, trx?: CallerTransaction): Promise<PostResult>;
  /** The transaction stored under an idempotency key, if any. */
  findTransaction(idempotencyKey: string, trx?: CallerTransaction): Promise<LedgerTransaction | undefined>;
  /** A user's balance of one asset, from the ledger. */
  balance(userId: string, asset: string, trx?: CallerTransaction): Promise<bigint>;
  /** A user's balances of every enabled asset. */
  balances(userId: string): Promise<WalletBalance[]>;

  /** Moves a user's amount to escrow. INSUFFICIENT_FUNDS when short. */
  holdEscrow(command: HoldEscrowCommand, trx?: CallerTransaction): Promise<EscrowHold>;
  /** Pays a held amount to `toUserId` (escrow → seller). Once per hold: ESCROW_HOLD_SETTLED after a refund or another release. */
  releaseEscrow(command: SettleEscrowCommand & { readonly toUserId: string }, trx?: CallerTransaction): Promise<EscrowHold>;
  /** Returns a held amount to its holder (escrow → buyer). Once per hold, like release. */
  refundEscrow(command: SettleEscrowCommand, trx?: CallerTransaction): Promise<EscrowHold>;
  getEscrowHold(holdId: string, trx?: CallerTransaction): Promise<EscrowHold | undefined>;
  /** The holds made under a reference, oldest first (e.g. every hold of one order). */
  escrowHoldsByReference(reference: string, trx?: CallerTransaction): Promise<EscrowHold[]>;

  /** Recomputes balances from postings and checks every invariant (a full scan). */
  reconcile(): Promise<LedgerCheck>;
}

/**
 * What other modules get: the ledger, and ERC-721 custody on users'
 * custodial EVM addresses (the market's NFT orders), so no other module
 * reads the wallet's tables or unseals its keys.
 */
export interface WalletModuleApi extends WalletApi {
  readonly nfts: CustodialNfts;
}

declare module '../service-map.js' {
  interface ServiceMap {
    wallet: WalletModuleApi;
  }
}

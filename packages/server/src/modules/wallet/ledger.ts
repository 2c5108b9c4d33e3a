import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { AssetRegistry } from './assets.js';
import { CHAIN_CLEARING, type WalletDb, type WalletTables } from './wallet-tables.js';

/**
 * The platform's own accounts, one per asset (README.md "Accounts"):
 * - `chain_clearing`: the world outside the ledger. A deposit debits it, a
 *   settled withdrawal credits it; the only account allowed below zero, and
 *   minus its balance is what the platform owes its users on chain.
 * - `escrow`: holds locked for trades and marketplace orders.
 * - `pending_withdrawals`: amounts reserved for a withdrawal being broadcast.
 * - `fees`: fees the platform charged.
 * - `hot_wallet`: spare; for chain code that wants to track sweeps separately.
 */
export const PLATFORM_ACCOUNTS = ['chain_clearing', 'escrow', 'pending_withdrawals', 'fees', 'hot_wallet'] as const;
export type PlatformAccount = (typeof PLATFORM_ACCOUNTS)[number];

/** Whose money a posting moves: a user's account or a platform account, in the posting's asset. */
export type AccountRef = { readonly user: string } | { readonly platform: PlatformAccount };

export interface Posting {
  readonly account: AccountRef;
  readonly asset: string;
  /** Smallest units; positive credits the account, negative debits it. Never zero. */
  readonly amount: bigint;
}

/** Who asked for a ledger transaction (kept on it and in the audit log). */
export interface LedgerActor {
  readonly kind: 'user' | 'admin' | 'system';
  /** A user id for users and admins; a component name for the system (e.g. `chain-watcher`). */
  readonly id: string | null;
  readonly sessionId?: string | null;
}

export interface LedgerCommand {
  /** Unique per command, across all kinds; a repeat returns the first transaction. */
  readonly idempotencyKey: string;
  /** What the movement is: `transfer`, `deposit`, `escrow.hold`, … (README.md "Kinds"). */
  readonly kind: string;
  readonly postings: readonly Posting[];
  readonly metadata?: Record<string, unknown>;
  readonly actor: LedgerActor;
}

export interface LedgerTransaction {
  readonly id: string;
  readonly seq: bigint;
  readonly idempotencyKey: string;
  readonly kind: string;
  readonly postings: readonly Posting[];
  readonly metadata: Record<string, unknown>;
  readonly createdAt: Date;
}

export interface PostResult {
  readonly transaction: LedgerTransaction;
  /** True when the key was already used and nothing was posted this time. */
  readonly replayed: boolean;
  /** The users' balances this transaction moved, after it (empty when replayed). */
  readonly userBalances: readonly { readonly userId: string; readonly asset: string; readonly balance: bigint }[];
}

export type WalletTrx = Transaction<WalletTables>;

export function accountKey(account: AccountRef): string {
  return 'user' in account ? `user:${account.user}` : `platform:${account.platform}`;
}

function accountRefOf(key: string): AccountRef {
  const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  return kind === 'user' ? { user: rest } : { platform: rest as PlatformAccount };
}

/** PostgreSQL's check_violation: the balance constraint refused a move. */
const CHECK_VIOLATION = '23514';

/**
 * Appends a balanced set of postings and moves the balances, in the caller's
 * transaction. Refuses unbalanced postings (the sum per asset must be zero)
 * and unknown assets; a debit past a balance → INSUFFICIENT_FUNDS (thrown:
 * the caller's transaction must roll back). Balance rows are locked in one
 * order (account, then asset) so concurrent transactions never deadlock.
 * A repeated idempotency key returns the first transaction and posts
 * nothing; the same key for a different command → IDEMPOTENCY_KEY_REUSED.
 */
export async function postLedgerTransaction(trx: WalletTrx, assets: AssetRegistry, command: LedgerCommand): Promise<PostResult> {
  const postings = validated(assets, command);
  const fingerprint = fingerprintOf(command.kind, postings);
  const id = randomUUID();
  const inserted = await trx
    .insertInto('wallet.transactions')
    .values({
      id,
      idempotency_key: command.idempotencyKey,
      kind: command.kind,
      fingerprint,
      metadata: JSON.stringify(command.metadata ?? {}),
      actor_kind: command.actor.kind,
      actor_id: command.actor.id,
      session_id: command.actor.sessionId ?? null,
    })
    .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
    .returning(['seq', 'created_at'])
    .executeTakeFirst();
  if (!inserted) {
    const first = await readTransactionByKey(trx, command.idempotencyKey);
    if (!first || first.fingerprint !== fingerprint) throw new KaifError('IDEMPOTENCY_KEY_REUSED');
    return { transaction: first.transaction, replayed: true, userBalances: [] };
  }
  const seq = String(inserted.seq);
  await trx
    .insertInto('wallet.postings')
    .values(
      postings.map((posting, idx) => ({
        transaction_id: id,
        seq,
        idx,
        account: accountKey(posting.account),
        asset: posting.asset,
        amount: posting.amount.toString(),
      })),
    )
    .execute();
  const userBalances = await applyToBalances(trx, postings);
  return {
    userBalances,
    transaction: {
      id,
      seq: BigInt(seq),
      idempotencyKey: command.idempotencyKey,
      kind: command.kind,
      postings,
      metadata: command.metadata ?? {},
      createdAt: new Date(inserted.created_at),
    },
    replayed: false,
  };
}

function validated(assets: AssetRegistry, command: LedgerCommand): Posting[] {
  if (command.postings.length < 2) throw new KaifError('LEDGER_UNBALANCED', 'A ledger transaction needs at least two postings');
  if (command.idempotencyKey.length === 0 || command.idempotencyKey.length > 300) throw new KaifError('VALIDATION_FAILED', 'The idempotency key must be 1 to 300 characters');
  const sums = new Map<string, bigint>();
  for (const posting of command.postings) {
    if (!assets.has(posting.asset)) throw new KaifError('ASSET_NOT_ENABLED');
    if (typeof posting.amount !== 'bigint' || posting.amount === 0n) throw new KaifError('LEDGER_UNBALANCED', 'A posting amount must be a non-zero bigint');
    if ('platform' in posting.account && !(PLATFORM_ACCOUNTS as readonly string[]).includes(posting.account.platform)) {
      throw new KaifError('LEDGER_UNBALANCED', 'Unknown platform account');
    }
    sums.set(posting.asset, (sums.get(posting.asset) ?? 0n) + posting.amount);
  }
  for (const sum of sums.values()) if (sum !== 0n) throw new KaifError('LEDGER_UNBALANCED');
  return [...command.postings];
}

function fingerprintOf(kind: string, postings: readonly Posting[]): string {
  const canonical = postings.map((posting) => `${accountKey(posting.account)}|${posting.asset}|${posting.amount}`).join(';');
  return createHash('sha256').update(`${kind}\n${canonical}`).digest('base64url');
}

/**
 * Moves each touched balance once, by the net of its postings, in
 * (account, asset) order. A debit is a guarded update (the row must exist
 * and stay non-negative), so a refusal is known before the constraint would
 * abort the statement; the CHECK stays as the last line of defence.
 */
async function applyToBalances(trx: WalletTrx, postings: readonly Posting[]): Promise<PostResult['userBalances']> {
  const moved: { userId: string; asset: string; balance: bigint }[] = [];
  const net = new Map<string, { account: string; asset: string; amount: bigint; userId: string | null }>();
  for (const posting of postings) {
    const account = accountKey(posting.account);
    const key = `${account}\u0000${posting.asset}`;
    const entry = net.get(key) ?? { account, asset: posting.asset, amount: 0n, userId: 'user' in posting.account ? posting.account.user : null };
    entry.amount += posting.amount;
    net.set(key, entry);
  }
  const ordered = [...net.values()].sort((a, b) => compare(a.account, b.account) || compare(a.asset, b.asset));
  try {
    for (const entry of ordered) {
      // Postings that cancel out on one account leave its balance alone.
      if (entry.amount === 0n) continue;
      if (entry.amount > 0n || entry.account === CHAIN_CLEARING) {
        const credited = await trx
          .insertInto('wallet.accounts')
          .values({
            account: entry.account,
            asset: entry.asset,
            kind: entry.userId === null ? 'platform' : 'user',
            user_id: entry.userId,
            balance: entry.amount.toString(),
          })
          .onConflict((conflict) =>
            conflict.columns(['account', 'asset']).doUpdateSet({
              balance: sql`wallet.accounts.balance + excluded.balance`,
              updated_at: sql`now()`,
            }),
          )
          .returning('balance')
          .executeTakeFirstOrThrow();
        if (entry.userId !== null) moved.push({ userId: entry.userId, asset: entry.asset, balance: BigInt(credited.balance) });
        continue;
      }
      const debited = await trx
        .updateTable('wallet.accounts')
        .set({ balance: sql`balance + ${entry.amount.toString()}::numeric`, updated_at: sql`now()` })
        .where('account', '=', entry.account)
        .where('asset', '=', entry.asset)
        .where(sql<boolean>`balance + ${entry.amount.toString()}::numeric >= 0`)
        .returning('balance')
        .executeTakeFirst();
      if (!debited) throw new KaifError('INSUFFICIENT_FUNDS');
      if (entry.userId !== null) moved.push({ userId: entry.userId, asset: entry.asset, balance: BigInt(debited.balance) });
    }
    return moved;
  } catch (error) {
    if ((error as { code?: unknown }).code === CHECK_VIOLATION) throw new KaifError('INSUFFICIENT_FUNDS');
    throw error;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function readTransactionByKey(
  db: Kysely<WalletTables>,
  idempotencyKey: string,
): Promise<{ transaction: LedgerTransaction; fingerprint: string } | undefined> {
  const row = await db.selectFrom('wallet.transactions').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
  if (!row) return undefined;
  const postings = await db
    .selectFrom('wallet.postings')
    .select(['account', 'asset', 'amount'])
    .where('transaction_id', '=', row.id)
    .orderBy('idx')
    .execute();
  return {
    fingerprint: row.fingerprint,
    transaction: {
      id: row.id,
      seq: BigInt(row.seq),
      idempotencyKey: row.idempotency_key,
      kind: row.kind,
      postings: postings.map((posting) => ({ account: accountRefOf(posting.account), asset: posting.asset, amount: BigInt(posting.amount) })),
      metadata: (typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata) as Record<string, unknown>,
      createdAt: new Date(row.created_at),
    },
  };
}

/** The ledger transaction stored under a key, if any (chain code checks before broadcasting). */
export async function findLedgerTransaction(db: WalletDb, idempotencyKey: string): Promise<LedgerTransaction | undefined> {
  return (await readTransactionByKey(db, idempotencyKey))?.transaction;
}

/** A user's balance of an asset, in smallest units. */
export async function balanceOf(db: WalletDb, account: AccountRef, asset: string): Promise<bigint> {
  const row = await db
    .selectFrom('wallet.accounts')
    .select('balance')
    .where('account', '=', accountKey(account))
    .where('asset', '=', asset)
    .executeTakeFirst();
  return row ? BigInt(row.balance) : 0n;
}

export interface LedgerCheck {
  /** Accounts whose stored balance differs from the sum of their postings. */
  readonly balanceMismatches: readonly { account: string; asset: string; stored: string; fromPostings: string }[];
  /** Transactions whose postings do not sum to zero per asset. */
  readonly unbalancedTransactions: readonly string[];
  /** Per asset, the sum of all balances (zero when the ledger holds together). */
  readonly sumsByAsset: Readonly<Record<string, string>>;
  /** Accounts below zero other than chain_clearing. */
  readonly negativeAccounts: readonly string[];
  /** Per asset, what the platform owes on chain: minus chain_clearing. */
  readonly heldByAsset: Readonly<Record<string, string>>;
  readonly ok: boolean;
}

/**
 * Recomputes every balance from the postings and checks the invariants
 * (README.md "Invariants"). A full scan: for tests, benchmarks and an
 * operator's periodic reconciliation, not for a request path.
 */
export async function reconcileLedger(db: WalletDb): Promise<LedgerCheck> {
  const mismatches = await sql<{ account: string; asset: string; stored: string; from_postings: string }>`
    with computed as (
      select account, asset, sum(amount) as total from wallet.postings group by account, asset
    )
    select coalesce(a.account, c.account) as account, coalesce(a.asset, c.asset) as asset,
      coalesce(a.balance, 0)::text as stored, coalesce(c.total, 0)::text as from_postings
    from wallet.accounts a full join computed c on a.account = c.account and a.asset = c.asset
    where coalesce(a.balance, 0) <> coalesce(c.total, 0)`.execute(db);
  const unbalanced = await sql<{ transaction_id: string }>`
    select distinct transaction_id from (
      select transaction_id, asset from wallet.postings group by transaction_id, asset having sum(amount) <> 0
    ) t`.execute(db);
  const sums = await sql<{ asset: string; total: string; held: string }>`
    select asset, sum(balance)::text as total,
      (-coalesce(sum(balance) filter (where account = ${CHAIN_CLEARING}), 0))::text as held
    from wallet.accounts group by asset`.execute(db);
  const negative = await sql<{ account: string; asset: string }>`
    select account, asset from wallet.accounts where balance < 0 and account <> ${CHAIN_CLEARING}`.execute(db);
  const sumsByAsset = Object.fromEntries(sums.rows.map((row) => [row.asset, row.total]));
  const heldByAsset = Object.fromEntries(sums.rows.map((row) => [row.asset, row.held]));
  const result = {
    balanceMismatches: mismatches.rows.map((row) => ({ account: row.account, asset: row.asset, stored: row.stored, fromPostings: row.from_postings })),
    unbalancedTransactions: unbalanced.rows.map((row) => row.transaction_id),
    sumsByAsset,
    heldByAsset,
    negativeAccounts: negative.rows.map((row) => `${row.account}/${row.asset}`),
  };
  return {
    ...result,
    ok:
      result.balanceMismatches.length === 0 &&
      result.unbalancedTransactions.length === 0 &&
      result.negativeAccounts.length === 0 &&
      Object.values(sumsByAsset).every((total) => BigInt(total) === 0n),
  };
}

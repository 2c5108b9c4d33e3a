import type { Kysely } from 'kysely';
import type { LedgerActor } from './ledger.js';
import type { WalletTables } from './wallet-tables.js';

export interface AuditEntry {
  readonly actor: LedgerActor;
  /** What was done: `transfer`, `escrow.hold`, `trade.take`, `deposit`, … */
  readonly action: string;
  readonly outcome: 'ok' | 'refused';
  /** Whose money or trade it concerns, when one user's. */
  readonly subjectUserId?: string | null;
  readonly transactionId?: string | null;
  /** Amounts as decimal strings, ids, an error code for a refusal; never a secret. */
  readonly details?: Record<string, unknown>;
}

/**
 * Appends to `wallet.audit_log` (append-only, like the ledger): every wallet
 * action, who did it, from which session, when and with what outcome.
 * Written in the action's own transaction when it succeeds, and after the
 * rollback when it is refused (README.md "Audit log").
 */
export async function appendAudit(db: Kysely<WalletTables>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('wallet.audit_log')
    .values({
      actor_kind: entry.actor.kind,
      actor_id: entry.actor.id,
      session_id: entry.actor.sessionId ?? null,
      action: entry.action,
      outcome: entry.outcome,
      subject_user_id: entry.subjectUserId ?? null,
      transaction_id: entry.transactionId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

export interface AuditQuery {
  readonly userId?: string;
  readonly action?: string;
  /** Entries with an id below this (the previous page's last id). */
  readonly before?: string;
  readonly limit: number;
}

export interface AuditRecord {
  readonly id: string;
  readonly at: string;
  readonly actorKind: string;
  readonly actorId: string | null;
  readonly sessionId: string | null;
  readonly action: string;
  readonly outcome: string;
  readonly subjectUserId: string | null;
  readonly transactionId: string | null;
  readonly details: Record<string, unknown>;
}

/** Newest first; `userId` matches the subject or the actor. */
export async function queryAudit(db: Kysely<WalletTables>, query: AuditQuery): Promise<AuditRecord[]> {
  let select = db.selectFrom('wallet.audit_log').selectAll().orderBy('id', 'desc').limit(query.limit);
  if (query.userId !== undefined) {
    const userId = query.userId;
    select = select.where((eb) => eb.or([eb('subject_user_id', '=', userId), eb.and([eb('actor_id', '=', userId), eb('actor_kind', 'in', ['user', 'admin'])])]));
  }
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  const rows = await select.execute();
  return rows.map((row) => ({
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    sessionId: row.session_id,
    action: row.action,
    outcome: row.outcome,
    subjectUserId: row.subject_user_id,
    transactionId: row.transaction_id,
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>,
  }));
}

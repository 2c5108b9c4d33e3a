import type { Kysely } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { MessagingTables } from './messaging-tables.js';
import type { LogBatching } from './log-batcher.js';

/** What the messaging services need from the rest of the process. */
export interface MessagingDeps {
  readonly db: Kysely<MessagingTables>;
  /** The ids among `ids` that name no user (IdentityApi.getUsers). */
  readonly unknownUsers: (ids: readonly string[]) => Promise<readonly string[]>;
  /** Tells the outbox relay that a transaction with events committed. */
  readonly committed: () => void;
  /** How appends to the chats' logs (sends, edits, deletes, reads, member changes) are group-committed. */
  readonly logBatching: LogBatching;
}

/** USER_NOT_FOUND unless every id names a user. */
export async function requireUsers(deps: MessagingDeps, ids: readonly string[], field: string): Promise<void> {
  if (ids.length === 0) return;
  const unknown = await deps.unknownUsers(ids);
  if (unknown.length > 0) throw new KaifError('USER_NOT_FOUND', `No user ${unknown[0]}`, { field });
}

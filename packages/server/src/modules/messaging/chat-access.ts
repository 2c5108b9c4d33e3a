import type { Kysely } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatRole, ChatType } from './api.js';
import type { MessagingTables } from './messaging-tables.js';
import { CHAT_COLUMNS, type ChatRow, isUuid } from './views.js';

export interface ChatAccess {
  readonly chat: ChatRow;
  readonly role: ChatRole;
  readonly readSeq: number;
}

/**
 * The caller's standing in a chat. A chat that does not exist and a chat the
 * caller is not in give the same CHAT_NOT_FOUND: nobody learns that a chat
 * exists by probing its id.
 */
export async function accessOf(db: Kysely<MessagingTables>, userId: string, chatId: string): Promise<ChatAccess> {
  if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
  const row = await db
    .selectFrom('messaging.chats as c')
    .innerJoin('messaging.members as m', (join) => join.onRef('m.chat_id', '=', 'c.id').on('m.user_id', '=', userId))
    .select(CHAT_COLUMNS.map((column) => `c.${column}` as const))
    .select(['m.role', 'm.read_seq'])
    .where('c.id', '=', chatId)
    .executeTakeFirst();
  if (!row) throw new KaifError('CHAT_NOT_FOUND');
  const { role, read_seq, ...chat } = row;
  return { chat, role, readSeq: read_seq };
}

export const isAdminRole = (role: ChatRole): boolean => role === 'owner' || role === 'admin';

/** In channels only the owner and admins post; in direct chats and groups every member does. */
export const canPost = (type: ChatType, role: ChatRole): boolean => type !== 'channel' || isAdminRole(role);

/** Members and their roles, read under the chat's row lock (membership changes take it too). */
export async function membersOf(
  db: Kysely<MessagingTables>,
  chatId: string,
): Promise<{ readonly userId: string; readonly role: ChatRole }[]> {
  const rows = await db
    .selectFrom('messaging.members')
    .select(['user_id', 'role'])
    .where('chat_id', '=', chatId)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
  return rows.map((row) => ({ userId: row.user_id, role: row.role }));
}

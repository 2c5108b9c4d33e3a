import type { Kysely } from 'kysely';
import type { Message } from './api.js';
import type { MessagingTables } from './messaging-tables.js';

/**
 * Messages without text, in history: a `transfer` message's payload is
 * joined from `transfer_messages`. History of a secret chat: its message rows hold no text, so their
 * ciphertext is joined from `secret_messages` — one query, and only when
 * the page holds such messages.
 */
export async function withCiphertexts(db: Kysely<MessagingTables>, messages: Message[]): Promise<Message[]> {
  const secretIds = messages.filter((message) => message.text === null && !message.deleted).map((message) => message.id);
  if (secretIds.length === 0) return messages;
  const transfers = await db.selectFrom('messaging.transfer_messages').select(['message_id', 'transfer']).where('message_id', 'in', secretIds).execute();
  const transferById = new Map(transfers.map((row) => [row.message_id, (typeof row.transfer === 'string' ? JSON.parse(row.transfer) : row.transfer) as Message['transfer']]));
  const rows = await db
    .selectFrom('messaging.secret_messages')
    .select(['message_id', 'kind', 'epoch', 'ciphertext'])
    .where('message_id', 'in', secretIds)
    .execute();
  const byId = new Map(rows.map((row) => [row.message_id, row]));
  return messages.map((message) => {
    const transfer = transferById.get(message.id);
    if (transfer) return { ...message, transfer };
    const row = byId.get(message.id);
    return row ? { ...message, ciphertext: row.ciphertext, secretKind: row.kind, epoch: Number(row.epoch) } : message;
  });
}

import { sql } from 'kysely';
import type { ChatType, LiveChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import { type MessagingServices, createMessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import type { MessagingTables } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import type { LogBatching } from '../../packages/server/src/modules/messaging/log-batcher.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';

/**
 * The messaging services straight on a database, with every user id
 * accepted: for tests of the feed that need no HTTP and no accounts.
 */
export function servicesOn(db: Database, logBatching: Partial<LogBatching> = {}): MessagingServices {
  return createMessagingServices({
    db: db.kysely<MessagingTables>(),
    unknownUsers: async () => [],
    committed: () => undefined,
    logBatching: { maxBatch: 512, lanes: 1, windowMs: 0, ...logBatching },
  });
}

/** The live events the outbox holds after `afterId`, in publishing order. */
export async function liveEventsAfter(db: Database, afterId: number): Promise<{ id: number; event: LiveChatEvent }[]> {
  const rows = await sql<{ id: number; payload: LiveChatEvent }>`
    select id, payload from platform.outbox where id > ${afterId} and subject like 'kaif.ev.chat.%' order by id`.execute(
    db.kysely<unknown>(),
  );
  return rows.rows.map((row) => ({ id: Number(row.id), event: row.payload }));
}

export async function lastOutboxId(db: Database): Promise<number> {
  const rows = await sql<{ id: number | null }>`select max(id) as id from platform.outbox`.execute(db.kysely<unknown>());
  return Number(rows.rows[0]?.id ?? 0);
}

/**
 * Who may see each event, worked out from the log alone: a read marker and
 * a channel membership change only by the user concerned; anything else by
 * whoever is a member at that point (a joiner sees their join, a leaver
 * their departure).
 */
export class VisibilityModel {
  private readonly members = new Map<string, Set<string>>();

  audienceOf(event: LiveChatEvent): Set<string> {
    const members = this.members.get(event.chatId) ?? new Set<string>();
    this.members.set(event.chatId, members);
    const data = event.data as { userId?: string; change?: string };
    if (event.type === 'chat.member' && data.change === 'joined') members.add(data.userId!);
    const audience =
      (event.type === 'chat.read' || event.type === 'chat.member') && event.chatType === 'channel'
        ? new Set([data.userId!])
        : new Set(members);
    if (event.type === 'chat.member' && (data.change === 'left' || data.change === 'removed')) members.delete(data.userId!);
    return audience;
  }
}

export const eventKey = (event: { readonly chatId: string; readonly seq: number; readonly type: string }) =>
  `${event.chatId}#${event.seq}#${event.type}`;

/** Events grouped by chat, each chat's in the order given. */
export function perChat(events: readonly { readonly chatId: string; readonly seq: number }[]): Map<string, number[]> {
  const chats = new Map<string, number[]>();
  for (const event of events) chats.set(event.chatId, [...(chats.get(event.chatId) ?? []), event.seq]);
  return chats;
}

export type ChangeOperation = 'edit' | 'delete' | 'join' | 'leave' | 'read';

/**
 * One of the property tests' changes other than sending: edit or delete the
 * chat's latest message, join (a group: added by its owner), leave, or read
 * up to the chat's last seq. Refusals (KaifError) are part of the game.
 */
export async function applyChange(
  services: MessagingServices,
  op: ChangeOperation,
  user: string,
  chat: { readonly id: string; readonly type: ChatType },
  owner: string,
  step: number,
): Promise<void> {
  if (op === 'edit' || op === 'delete') {
    const [latest] = await services.messages.list(user, chat.id, { limit: 1 });
    if (!latest) return;
    if (op === 'edit') await services.messages.edit(user, chat.id, latest.id, `edited ${step}`);
    else await services.messages.delete(user, chat.id, latest.id);
  } else if (op === 'join') {
    if (chat.type === 'group') await services.members.add(owner, chat.id, user);
    else await services.members.join(user, chat.id);
  } else if (op === 'leave') {
    await services.members.leave(user, chat.id);
  } else {
    const current = await services.chats.get(user, chat.id);
    await services.messages.markRead(user, chat.id, current.lastSeq);
  }
}

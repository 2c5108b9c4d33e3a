import type { ChatId, UserId } from '@kaif/protocol';
import { type Transaction, sql } from 'kysely';
import { enqueueEvents } from '../../platform/outbox/outbox.js';
import { type ChatEventType, type ChatType, type LiveChatEvent, chatEventSubject } from './api.js';
import type { MessagingTables } from './messaging-tables.js';

export type MessagingTransaction = Transaction<MessagingTables>;

/** A chat row held under FOR UPDATE: nobody else appends to its log until commit. */
export interface LockedChat {
  readonly id: string;
  readonly type: ChatType;
  readonly title: string | null;
  readonly description: string | null;
  readonly lastSeq: number;
  readonly lastBroadcastSeq: number;
  readonly memberCount: number;
}

/** An event to append; `audience` gets a feed row each (see audienceOf). */
export interface EventDraft {
  readonly type: ChatEventType;
  readonly data: Readonly<Record<string, unknown>>;
  readonly onlyFor?: string;
  readonly messageId?: string;
  readonly audience: readonly string[];
}

/**
 * Takes the chat's row lock. Every change to a chat starts here, so seqs are
 * handed out one transaction at a time and commit in order: a reader's
 * snapshot always holds a gap-free prefix of each chat's log.
 */
export async function lockChat(trx: MessagingTransaction, chatId: string): Promise<LockedChat | undefined> {
  const row = await trx
    .selectFrom('messaging.chats')
    .select(['id', 'type', 'title', 'description', 'last_seq', 'last_broadcast_seq', 'member_count'])
    .where('id', '=', chatId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    description: row.description,
    lastSeq: row.last_seq,
    lastBroadcastSeq: row.last_broadcast_seq,
    memberCount: row.member_count,
  };
}

/**
 * Who gets a feed row for an event: its one user when it is theirs alone;
 * nobody else in a channel (subscribers read the channel's log: fan-out on
 * read); every member in direct and group chats (fan-out on write).
 */
export function audienceOf(chatType: ChatType, members: readonly string[], onlyFor?: string): readonly string[] {
  if (onlyFor !== undefined) return [onlyFor];
  return chatType === 'channel' ? [] : members;
}

/**
 * Appends events to a locked chat's log with the next seqs, in the same
 * transaction: the log rows, one feed row per audience member (their feed
 * positions move under their user_state row locks, taken in user id order
 * so concurrent fan-outs cannot deadlock), and the outbox entries the relay
 * publishes after commit. Returns the events as published.
 */
export async function appendEvents(
  trx: MessagingTransaction,
  chat: LockedChat,
  drafts: readonly EventDraft[],
  at: Date,
  changes: { readonly memberCount?: number } = {},
): Promise<LiveChatEvent[]> {
  if (drafts.length === 0) return [];
  let broadcastSeq = chat.lastBroadcastSeq;
  const placed = drafts.map((draft, index) => {
    const seq = chat.lastSeq + index + 1;
    const previousSeq = broadcastSeq;
    if (draft.onlyFor === undefined) broadcastSeq = seq;
    return { draft, seq, previousSeq };
  });
  await trx
    .updateTable('messaging.chats')
    .set({
      last_seq: chat.lastSeq + drafts.length,
      last_broadcast_seq: broadcastSeq,
      ...(changes.memberCount === undefined ? {} : { member_count: changes.memberCount }),
    })
    .where('id', '=', chat.id)
    .execute();
  await trx
    .insertInto('messaging.chat_events')
    .values(
      placed.map(({ draft, seq }) => ({
        chat_id: chat.id,
        seq,
        type: draft.type,
        payload: JSON.stringify(draft.data),
        only_for: draft.onlyFor ?? null,
        message_id: draft.messageId ?? null,
        created_at: at,
      })),
    )
    .execute();

  const positions = await advanceFeeds(trx, placed.map(({ draft }) => draft.audience));
  const feedRows = placed.flatMap(({ seq }, index) =>
    Object.entries(positions[index]!).map(([userId, pts]) => ({ user_id: userId, pts, chat_id: chat.id, seq })),
  );
  if (feedRows.length > 0) await trx.insertInto('messaging.user_feed').values(feedRows).execute();

  const atText = at.toISOString();
  const live = placed.map(({ draft, seq, previousSeq }, index): LiveChatEvent => ({
    chatId: chat.id as ChatId,
    seq,
    type: draft.type,
    at: atText,
    data: draft.data,
    chatType: chat.type,
    ...(draft.onlyFor === undefined ? {} : { onlyFor: [draft.onlyFor as UserId] }),
    ...(chat.type === 'channel' ? { previousSeq } : {}),
    ...(Object.keys(positions[index]!).length > 0 ? { positions: positions[index]! } : {}),
  }));
  await enqueueEvents(
    trx as unknown as Transaction<unknown>,
    live.flatMap((event) => {
      const payload = JSON.parse(JSON.stringify(event));
      const published = [{ subject: chatEventSubject(event.chatId), payload }];
      // A node holding the new member's connections does not follow this
      // chat yet; the copy on the member's own subject tells it to.
      const joined = joinedUserOf(event);
      if (joined) published.push({ subject: userChatsSubject(joined), payload });
      return published;
    }),
  );
  return live;
}

/** For each event, each audience member's new feed position. */
async function advanceFeeds(
  trx: MessagingTransaction,
  audiences: readonly (readonly string[])[],
): Promise<Record<string, number>[]> {
  const counts = new Map<string, number>();
  for (const audience of audiences) for (const userId of audience) counts.set(userId, (counts.get(userId) ?? 0) + 1);
  if (counts.size === 0) return audiences.map(() => ({}));
  const userIds = [...counts.keys()].sort();
  // Rows are inserted, and so locked, in the order of the select: by user id.
  const result = await sql<{ user_id: string; pts: number }>`
    insert into messaging.user_state (user_id, pts)
    select user_id, n from unnest(${userIds}::text[], ${userIds.map((id) => counts.get(id)!)}::bigint[]) as d(user_id, n)
    order by user_id
    on conflict (user_id) do update set pts = messaging.user_state.pts + excluded.pts
    returning user_id, pts`.execute(trx);
  const next = new Map<string, number>();
  for (const row of result.rows) next.set(row.user_id, Number(row.pts) - counts.get(row.user_id)! + 1);
  return audiences.map((audience) => {
    const positions: Record<string, number> = {};
    for (const userId of audience) {
      const pts = next.get(userId)!;
      positions[userId] = pts;
      next.set(userId, pts + 1);
    }
    return positions;
  });
}

/** Where events addressed to one user about their chats go (`kaif.ev.user.<id>.chats`). */
export const userChatsSubject = (userId: string) => `kaif.ev.user.${userId}.chats`;

function joinedUserOf(event: LiveChatEvent): string | undefined {
  if (event.type !== 'chat.member' || event.data.change !== 'joined') return undefined;
  return typeof event.data.userId === 'string' ? event.data.userId : undefined;
}

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

/** Events to append to one locked chat, and its new member count when that changes. */
export interface ChatAppend {
  readonly chat: LockedChat;
  readonly drafts: readonly EventDraft[];
  readonly memberCount?: number;
}

const LOCKED_CHAT_COLUMNS = ['id', 'type', 'title', 'description', 'last_seq', 'last_broadcast_seq', 'member_count'] as const;

export type LockedChatRow = {
  id: string;
  type: ChatType;
  title: string | null;
  description: string | null;
  last_seq: number;
  last_broadcast_seq: number;
  member_count: number;
};

export const toLockedChat = (row: LockedChatRow): LockedChat => ({
  id: row.id,
  type: row.type,
  title: row.title,
  description: row.description,
  lastSeq: Number(row.last_seq),
  lastBroadcastSeq: Number(row.last_broadcast_seq),
  memberCount: row.member_count,
});

/**
 * Takes the chat's row lock. Every change to a chat starts here, so seqs are
 * handed out one transaction at a time and commit in order: a reader's
 * snapshot always holds a gap-free prefix of each chat's log.
 */
export async function lockChat(trx: MessagingTransaction, chatId: string): Promise<LockedChat | undefined> {
  const row = await trx.selectFrom('messaging.chats').select(LOCKED_CHAT_COLUMNS).where('id', '=', chatId).forUpdate().executeTakeFirst();
  return row ? toLockedChat(row) : undefined;
}

/**
 * Direct chats fan out on write: each event writes a feed row per member
 * (two). Groups and channels fan out on read: members read the chat's log
 * after the seq their cursor holds for it, so a message costs the same rows
 * in a group of 1,000 as in a group of 2.
 */
export const fansOutOnRead = (chatType: ChatType): boolean => chatType !== 'direct';

/**
 * Who gets a feed row for an event. In a direct chat, both members. In a
 * group or channel, nobody, except the one user an event is for alone, or
 * the user whose joining or leaving starts or ends their reading of the
 * chat's log (`concerns`): that feed row moves the chat in or out of their
 * cursor.
 */
export function audienceOf(
  chatType: ChatType,
  members: readonly string[],
  who: { readonly onlyFor?: string | undefined; readonly concerns?: string | undefined } = {},
): readonly string[] {
  if (who.onlyFor !== undefined) return [who.onlyFor];
  if (!fansOutOnRead(chatType)) return members;
  return who.concerns === undefined ? [] : [who.concerns];
}

/**
 * Appends events to a locked chat's log with the next seqs, in the same
 * transaction. See appendToChats.
 */
export async function appendEvents(
  trx: MessagingTransaction,
  chat: LockedChat,
  drafts: readonly EventDraft[],
  at: Date,
  changes: { readonly memberCount?: number } = {},
): Promise<LiveChatEvent[]> {
  return appendToChats(trx, [{ chat, drafts, ...changes }], at);
}

/** An event with its place in its chat's log. */
export interface PlacedEvent {
  readonly chat: LockedChat;
  readonly draft: EventDraft;
  readonly seq: number;
  /** The seq of the chat's previous event every member sees. */
  readonly previousSeq: number;
}

/** A chat row's new counters after an append. */
export interface ChatCounters {
  readonly id: string;
  readonly lastSeq: number;
  readonly lastBroadcastSeq: number;
  readonly memberCount: number | null;
}

/** Gives each event the next seq of its chat, in order, and works out the chats' new counters. */
export function placeEvents(appends: readonly ChatAppend[]): { placed: PlacedEvent[]; chatRows: ChatCounters[] } {
  const placed: PlacedEvent[] = [];
  const chatRows: ChatCounters[] = [];
  for (const { chat, drafts, memberCount } of appends) {
    if (drafts.length === 0) continue;
    let broadcastSeq = chat.lastBroadcastSeq;
    drafts.forEach((draft, index) => {
      const previousSeq = broadcastSeq;
      const seq = chat.lastSeq + index + 1;
      if (draft.onlyFor === undefined) broadcastSeq = seq;
      placed.push({ chat, draft, seq, previousSeq });
    });
    chatRows.push({ id: chat.id, lastSeq: chat.lastSeq + drafts.length, lastBroadcastSeq: broadcastSeq, memberCount: memberCount ?? null });
  }
  return { placed, chatRows };
}

/** The event as the relay publishes it; `positions` are the feed rows it got, if any. */
export function liveEventOf({ chat, draft, seq, previousSeq }: PlacedEvent, at: string, positions: Readonly<Record<string, number>> = {}): LiveChatEvent {
  return {
    chatId: chat.id as ChatId,
    seq,
    type: draft.type,
    at,
    data: draft.data,
    chatType: chat.type,
    ...(draft.onlyFor === undefined ? {} : { onlyFor: [draft.onlyFor as UserId] }),
    ...(fansOutOnRead(chat.type) ? { previousSeq } : {}),
    ...(Object.keys(positions).length > 0 ? { positions } : {}),
  };
}

/**
 * Where an event is published: its chat's subject, and for a join also the
 * new member's own subject — a node holding the new member's connections
 * does not follow this chat yet; that copy tells it to.
 */
export function subjectsOf(event: LiveChatEvent): string[] {
  const joined = joinedUserOf(event);
  return joined ? [chatEventSubject(event.chatId), userChatsSubject(joined)] : [chatEventSubject(event.chatId)];
}

/**
 * Appends events to the logs of several locked chats in one go: one
 * statement per table whatever the number of chats and events — the chat
 * rows' new seqs, the log rows, the feed rows of direct chats (their
 * positions move under the user_state row locks, taken in user id order so
 * concurrent writers cannot deadlock), and the outbox entries the relay
 * publishes after commit. Returns the events as published, in input order.
 */
export async function appendToChats(trx: MessagingTransaction, appends: readonly ChatAppend[], at: Date): Promise<LiveChatEvent[]> {
  const { placed, chatRows } = placeEvents(appends);
  if (placed.length === 0) return [];

  await sql`
    update messaging.chats c
    set last_seq = d.last_seq, last_broadcast_seq = d.last_broadcast_seq, member_count = coalesce(d.member_count, c.member_count)
    from unnest(${chatRows.map((row) => row.id)}::uuid[], ${chatRows.map((row) => row.lastSeq)}::bigint[],
                ${chatRows.map((row) => row.lastBroadcastSeq)}::bigint[], ${chatRows.map((row) => row.memberCount)}::int[])
      as d(id, last_seq, last_broadcast_seq, member_count)
    where c.id = d.id`.execute(trx);
  await sql`
    insert into messaging.chat_events (chat_id, seq, type, payload, only_for, message_id, created_at)
    select chat_id, seq, type, payload, only_for, message_id, ${at}::timestamptz
    from unnest(${placed.map((p) => p.chat.id)}::uuid[], ${placed.map((p) => p.seq)}::bigint[], ${placed.map((p) => p.draft.type)}::text[],
                ${placed.map((p) => JSON.stringify(p.draft.data))}::jsonb[], ${placed.map((p) => p.draft.onlyFor ?? null)}::text[],
                ${placed.map((p) => p.draft.messageId ?? null)}::uuid[])
      as e(chat_id, seq, type, payload, only_for, message_id)`.execute(trx);

  const positions = await advanceFeeds(trx, placed.map((p) => p.draft.audience));
  const feed = placed.flatMap((p, index) => Object.entries(positions[index]!).map(([userId, pts]) => ({ userId, pts, chatId: p.chat.id, seq: p.seq })));
  if (feed.length > 0) {
    await sql`
      insert into messaging.user_feed (user_id, pts, chat_id, seq)
      select * from unnest(${feed.map((row) => row.userId)}::text[], ${feed.map((row) => row.pts)}::bigint[],
                           ${feed.map((row) => row.chatId)}::uuid[], ${feed.map((row) => row.seq)}::bigint[])`.execute(trx);
  }

  const atText = at.toISOString();
  const live = placed.map((p, index) => liveEventOf(p, atText, positions[index]));
  await enqueueEvents(
    trx as unknown as Transaction<unknown>,
    live.flatMap((event) => {
      const payload = JSON.parse(JSON.stringify(event));
      return subjectsOf(event).map((subject) => ({ subject, payload }));
    }),
  );
  return live;
}

/** For each event, each audience member's new feed position. */
async function advanceFeeds(trx: MessagingTransaction, audiences: readonly (readonly string[])[]): Promise<Record<string, number>[]> {
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

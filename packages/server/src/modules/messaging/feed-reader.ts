import type { ChatId } from '@kaif/protocol';
import { UPDATES_MAX_LIMIT } from '@kaif/protocol';
import { type Kysely, sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatEvent, ChatEventType, ChatType, FeedPage } from './api.js';
import { fansOutOnRead } from './event-log.js';
import { type CursorBase, loadCursorBase } from './cursor-bases.js';
import { type CursorText, type FeedCursor, applyToBase, diffFromBase, encodeCursor, encodeRelativeCursor, parseCursor } from './feed-cursor.js';
import type { MessagingTables } from './messaging-tables.js';
import { applyOwnChannelEvent } from './own-channel-event.js';

const DEFAULT_LIMIT = 100;

interface EventRow {
  readonly chat_id: string;
  readonly seq: number;
  readonly type: ChatEventType;
  readonly payload: Record<string, unknown>;
  readonly created_at: Date | string;
}

interface FeedRow extends EventRow {
  readonly pts: number;
  readonly chat_type: ChatType;
}

interface ChannelQueue {
  readonly events: EventRow[];
  /** Every subscriber-wide event after the start, as of the snapshot, is in `events`. */
  readonly complete: boolean;
}

const toEvent = (row: EventRow): ChatEvent => ({
  chatId: row.chat_id as ChatId,
  seq: Number(row.seq),
  type: row.type,
  at: (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString(),
  data: row.payload,
});

/**
 * The per-user change feed (Telegram's pts + getDifference). Direct-chat
 * events, and a user's own events in groups and channels (joining, leaving,
 * private read markers), are read from the user's feed rows (pts > cursor);
 * group and channel events for every member are read from the chats' logs
 * after the cursor's per-chat seqs. Both reads share one
 * snapshot, so each chat's log shows as a gap-free prefix, and the two
 * streams are merged so that each chat's events come out in seq order.
 */
export class FeedReader {
  constructor(private readonly db: Kysely<MessagingTables>) {}

  async changesSince(userId: string, cursorText: string | null, limit = DEFAULT_LIMIT): Promise<FeedPage> {
    const pageSize = Math.min(Math.max(Math.trunc(limit), 1), UPDATES_MAX_LIMIT);
    const parsed = cursorText === null ? null : parseCursor(cursorText);
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const state = await trx.selectFrom('messaging.user_state').select('pts').where('user_id', '=', userId).executeTakeFirst();
        const pts = state?.pts ?? 0;
        const channels = await trx
          .selectFrom('messaging.members as m')
          .innerJoin('messaging.chats as c', 'c.id', 'm.chat_id')
          .select(['c.id', 'c.last_seq'])
          .where('m.user_id', '=', userId)
          .where('c.type', '<>', 'direct')
          .execute();
        if (!parsed) {
          const start = Object.fromEntries(channels.map((channel) => [channel.id, channel.last_seq]));
          return { events: [], cursor: encodeCursor({ pts, channels: start }), hasMore: false };
        }
        const { cursor, base } = await resolve(trx, userId, parsed);
        // Feed rows are kept for good; a position beyond the user's is not theirs.
        if (cursor.pts > pts) throw new KaifError('CURSOR_INVALID');
        const feed = await sql<FeedRow>`
          select f.pts, e.chat_id, e.seq, e.type, e.payload, e.created_at, c.type as chat_type
          from messaging.user_feed f
          join messaging.chat_events e on e.chat_id = f.chat_id and e.seq = f.seq
          join messaging.chats c on c.id = f.chat_id
          where f.user_id = ${userId} and f.pts > ${cursor.pts}
          order by f.pts
          limit ${pageSize + 1}`.execute(trx);
        const feedComplete = feed.rows.length <= pageSize;
        const rows = feed.rows.slice(0, pageSize);
        const starts = channelStarts(cursor, new Set(channels.map((channel) => channel.id)), rows, feedComplete);
        // While feed rows remain beyond this page, log events are delivered
        // only before an own event of their chat in it (see merge): read
        // just those chats' logs, not every chat that moved.
        const ownChats = new Set(rows.map((row) => row.chat_id));
        const scan = feedComplete ? starts.scan : new Map([...starts.scan].filter(([chatId]) => ownChats.has(chatId)));
        const queues = await this.channelQueues(trx, scan, pageSize);
        const page = merge(userId, { ...cursor, channels: starts.kept }, rows, feedComplete, queues, pageSize);
        return { events: page.events, cursor: encodeAgainst(page.cursor, base), hasMore: page.hasMore };
      });
  }

  /** Subscriber-wide events after each start, up to `perChannel` each, in one query. */
  private async channelQueues(
    db: Kysely<MessagingTables>,
    starts: ReadonlyMap<string, number>,
    perChannel: number,
  ): Promise<Map<string, ChannelQueue>> {
    const queues = new Map<string, ChannelQueue>();
    if (starts.size === 0) return queues;
    const ids = [...starts.keys()];
    const result = await sql<EventRow>`
      select e.chat_id, e.seq, e.type, e.payload, e.created_at
      from unnest(${ids}::uuid[], ${ids.map((id) => starts.get(id)!)}::bigint[]) as cur(chat_id, after_seq)
      join messaging.chats c on c.id = cur.chat_id and c.type <> 'direct' and c.last_broadcast_seq > cur.after_seq
      cross join lateral (
        select x.chat_id, x.seq, x.type, x.payload, x.created_at from messaging.chat_events x
        where x.chat_id = cur.chat_id and x.seq > cur.after_seq and x.only_for is null
        order by x.seq limit ${perChannel}
      ) e
      order by e.chat_id, e.seq`.execute(db);
    const grouped = new Map<string, EventRow[]>();
    for (const row of result.rows) {
      const list = grouped.get(row.chat_id) ?? [];
      list.push(row);
      grouped.set(row.chat_id, list);
    }
    for (const id of ids) {
      const events = grouped.get(id) ?? [];
      queues.set(id, { events, complete: events.length < perChannel });
    }
    return queues;
  }
}

/**
 * Which channels to read, from which seq. A channel of the cursor is read if
 * the user is still in it or has an own event in this page (say, leaving);
 * one joined after the cursor is read from its first own event (the join).
 * A cursor channel that is neither, once the feed is read to its end, is
 * dropped: the user is not in it.
 */
function channelStarts(
  cursor: FeedCursor,
  current: ReadonlySet<string>,
  rows: readonly FeedRow[],
  feedComplete: boolean,
): { readonly scan: Map<string, number>; readonly kept: Record<string, number> } {
  const firstOwn = new Map<string, number>();
  for (const row of rows) if (fansOutOnRead(row.chat_type) && !firstOwn.has(row.chat_id)) firstOwn.set(row.chat_id, Number(row.seq));
  const scan = new Map<string, number>();
  const kept: Record<string, number> = {};
  for (const [chatId, seq] of Object.entries(cursor.channels)) {
    if (current.has(chatId) || firstOwn.has(chatId)) scan.set(chatId, seq);
    if (current.has(chatId) || firstOwn.has(chatId) || !feedComplete) kept[chatId] = seq;
  }
  for (const [chatId, seq] of firstOwn) if (!scan.has(chatId)) scan.set(chatId, seq);
  return { scan, kept };
}

function merge(
  userId: string,
  cursor: FeedCursor,
  rows: readonly FeedRow[],
  feedComplete: boolean,
  queues: ReadonlyMap<string, ChannelQueue>,
  limit: number,
): { readonly events: ChatEvent[]; readonly cursor: FeedCursor; readonly hasMore: boolean } {
  const events: ChatEvent[] = [];
  let pts = cursor.pts;
  const channels = new Map(Object.entries(cursor.channels));
  const full = () => events.length >= limit;

  /** Delivers the channel's subscriber-wide events before `seq`; false if some may be missing. */
  const deliverBefore = (chatId: string, seq: number): boolean => {
    const queue = queues.get(chatId);
    if (!queue) return true;
    while (queue.events.length > 0 && Number(queue.events[0]!.seq) < seq) {
      const delivered = channels.get(chatId);
      // An own event (a group join) is in the log too: it came through the feed.
      if (delivered !== undefined && Number(queue.events[0]!.seq) > delivered) {
        if (full()) return false;
        const row = queue.events[0]!;
        events.push(toEvent(row));
        channels.set(chatId, Number(row.seq));
      }
      queue.events.shift();
    }
    return queue.events.length > 0 || queue.complete || !channels.has(chatId);
  };

  let stopped = false;
  for (const row of rows) {
    if (fansOutOnRead(row.chat_type) && !deliverBefore(row.chat_id, Number(row.seq))) {
      stopped = true;
      break;
    }
    if (full()) {
      stopped = true;
      break;
    }
    const event = toEvent(row);
    events.push(event);
    pts = Number(row.pts);
    if (fansOutOnRead(row.chat_type)) applyOwnChannelEvent(channels, userId, event);
  }
  let hasMore = stopped || !feedComplete;
  // Later channel events may only follow once no own event can come before them.
  if (!hasMore) {
    for (const chatId of queues.keys()) {
      if (!channels.has(chatId)) continue;
      if (!deliverBefore(chatId, Number.POSITIVE_INFINITY)) hasMore = true;
      const queue = queues.get(chatId)!;
      if (queue.events.length > 0 || !queue.complete) hasMore = true;
    }
  }
  return { events, cursor: { pts, channels: Object.fromEntries(channels) }, hasMore };
}

/** A full cursor as it is; a relative one with its base, read in the page's snapshot. */
async function resolve(
  db: Kysely<MessagingTables>,
  userId: string,
  parsed: CursorText,
): Promise<{ readonly cursor: FeedCursor; readonly base: CursorBase | null }> {
  if (parsed.kind === 'full') return { cursor: parsed.cursor, base: null };
  const base = await loadCursorBase(db, userId, parsed.baseId);
  if (!base) throw new KaifError('CURSOR_INVALID');
  return { cursor: applyToBase(parsed, base.channels), base };
}

/** A page's cursor in the form the caller's had: relative to the same base, or full. */
function encodeAgainst(cursor: FeedCursor, base: CursorBase | null): string {
  if (!base) return encodeCursor(cursor);
  const { changed, dropped } = diffFromBase(cursor.channels, base.channels);
  return encodeRelativeCursor(base.id, cursor.pts, changed, dropped);
}

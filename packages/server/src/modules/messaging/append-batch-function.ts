import { type Kysely, type Migration, sql } from 'kysely';
import type { Message } from './api.js';
import { mediaJson } from './views.js';
import { type ChatAppend, type MessagingTransaction, fansOutOnRead, liveEventOf, placeEvents, subjectsOf } from './event-log.js';

/**
 * `messaging.append_batch`: a batch's writes in one server-side call — the
 * new messages, the chats' counters, the log rows, the direct chats' feed
 * rows (positions advanced under the user_state row locks, taken in user id
 * order like appendToChats), the outbox rows with each event's positions,
 * and the relay's wake-up. The same writes as the statements of
 * ChatBatch.write and appendToChats, in one round trip instead of six.
 */
export const createAppendBatchFunction: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create function messaging.append_batch(
        m_id uuid[], m_chat uuid[], m_seq bigint[], m_sender text[], m_client text[], m_text text[], m_reply uuid[],
        m_forwarded jsonb[], m_edited timestamptz[], m_deleted timestamptz[],
        c_id uuid[], c_last_seq bigint[], c_last_broadcast_seq bigint[], c_member_count int[],
        e_chat uuid[], e_seq bigint[], e_type text[], e_data jsonb[], e_only_for text[], e_message uuid[], e_chat_type text[], e_previous_seq bigint[],
        f_event int[], f_user text[],
        o_event int[], o_subject text[],
        at timestamptz, at_text text
      ) returns void language plpgsql as $fn$
      begin
        insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, created_at, edited_at, deleted_at)
        select id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, at, edited_at, deleted_at
        from unnest(m_id, m_chat, m_seq, m_sender, m_client, m_text, m_reply, m_forwarded, m_edited, m_deleted)
          as m(id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, edited_at, deleted_at);

        update messaging.chats c
        set last_seq = d.last_seq, last_broadcast_seq = d.last_broadcast_seq, member_count = coalesce(d.member_count, c.member_count)
        from unnest(c_id, c_last_seq, c_last_broadcast_seq, c_member_count) as d(id, last_seq, last_broadcast_seq, member_count)
        where c.id = d.id;

        insert into messaging.chat_events (chat_id, seq, type, payload, only_for, message_id, created_at)
        select chat_id, seq, type, payload, only_for, message_id, at
        from unnest(e_chat, e_seq, e_type, e_data, e_only_for, e_message) as e(chat_id, seq, type, payload, only_for, message_id);

        with audience as (
          select * from unnest(f_event, f_user) with ordinality as f(event, user_id, ord)
        ), counts as (
          select user_id, count(*) as n from audience group by user_id
        ), advanced as (
          -- Rows are inserted, and so locked, in the order of the select: by user id.
          insert into messaging.user_state (user_id, pts)
          select user_id, n from counts order by user_id
          on conflict (user_id) do update set pts = messaging.user_state.pts + excluded.pts
          returning user_id, pts
        ), feed as (
          select a.event, a.user_id, v.pts - c.n + row_number() over (partition by a.user_id order by a.ord) as pts
          from audience a join counts c using (user_id) join advanced v using (user_id)
        ), stored as (
          insert into messaging.user_feed (user_id, pts, chat_id, seq)
          select feed.user_id, feed.pts, e_chat[feed.event], e_seq[feed.event] from feed
        ), positions as (
          select event, jsonb_object_agg(user_id, pts) as positions from feed group by event
        )
        -- The LiveChatEvent of liveEventOf, built here: the message crosses the wire in the message row and the log row only.
        insert into platform.outbox (event_id, subject, payload)
        select gen_random_uuid(), o.subject,
               jsonb_build_object('chatId', e_chat[o.event], 'seq', e_seq[o.event], 'type', e_type[o.event], 'at', at_text,
                                  'data', e_data[o.event], 'chatType', e_chat_type[o.event])
               || case when e_only_for[o.event] is null then '{}' else jsonb_build_object('onlyFor', jsonb_build_array(e_only_for[o.event])) end
               || case when e_previous_seq[o.event] is null then '{}' else jsonb_build_object('previousSeq', e_previous_seq[o.event]) end
               || case when p.positions is null then '{}' else jsonb_build_object('positions', p.positions) end
        from unnest(o_event, o_subject) with ordinality as o(event, subject, ord)
        left join positions p on p.event = o.event
        order by o.ord;

        perform pg_notify('kaif_outbox', '');
      end
      $fn$`.execute(db);
  },
};

/**
 * A batch's new messages and log events, written by one call of
 * messaging.append_batch (as migration 0004_message_media left it). Returns how many events it appended.
 */
export async function appendInOneCall(trx: MessagingTransaction, created: readonly Message[], appends: readonly ChatAppend[], at: Date): Promise<number> {
  const { placed, chatRows } = placeEvents(appends);
  if (placed.length === 0 && created.length === 0) return 0;
  const atText = at.toISOString();
  // Only to know each event's subjects: the function builds the payloads.
  const live = placed.map((p) => liveEventOf(p, atText));
  const feed = placed.flatMap((p, index) => p.draft.audience.map((userId) => ({ event: index + 1, userId })));
  const outbox = live.flatMap((event, index) => subjectsOf(event).map((subject) => ({ event: index + 1, subject })));
  await sql`
    select messaging.append_batch(
      ${created.map((m) => m.id)}::uuid[], ${created.map((m) => m.chatId)}::uuid[], ${created.map((m) => m.seq)}::bigint[],
      ${created.map((m) => m.senderId)}::text[], ${created.map((m) => m.clientMsgId)}::text[], ${created.map((m) => m.text)}::text[],
      ${created.map((m) => m.replyToId)}::uuid[], ${created.map((m) => (m.forwardedFrom ? JSON.stringify(m.forwardedFrom) : null))}::jsonb[],
      ${created.map((m) => mediaJson(m))}::jsonb[], ${created.map((m) => m.editedAt)}::timestamptz[], ${created.map((m) => (m.deleted ? atText : null))}::timestamptz[],
      ${chatRows.map((row) => row.id)}::uuid[], ${chatRows.map((row) => row.lastSeq)}::bigint[],
      ${chatRows.map((row) => row.lastBroadcastSeq)}::bigint[], ${chatRows.map((row) => row.memberCount)}::int[],
      ${placed.map((p) => p.chat.id)}::uuid[], ${placed.map((p) => p.seq)}::bigint[], ${placed.map((p) => p.draft.type)}::text[],
      ${placed.map((p) => JSON.stringify(p.draft.data))}::jsonb[], ${placed.map((p) => p.draft.onlyFor ?? null)}::text[],
      ${placed.map((p) => p.draft.messageId ?? null)}::uuid[], ${placed.map((p) => p.chat.type)}::text[],
      ${placed.map((p) => (fansOutOnRead(p.chat.type) ? p.previousSeq : null))}::bigint[],
      ${feed.map((row) => row.event)}::int[], ${feed.map((row) => row.userId)}::text[],
      ${outbox.map((row) => row.event)}::int[], ${outbox.map((row) => row.subject)}::text[],
      ${at}::timestamptz, ${atText})`.execute(trx);
  return placed.length;
}

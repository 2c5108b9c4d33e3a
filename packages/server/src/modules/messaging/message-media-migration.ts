import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Messages carry media: a `media` column (the media views, as sent; null
 * when none, erased on delete) with a GIN index, so "is this media in a
 * message of a chat the reader is in" is one indexed probe
 * (MessagingApi.canSeeMedia). `messaging.append_batch` takes the column
 * too: the same function as 0002_append_batch, with `m_media` beside
 * `m_forwarded`, so a batch is still one call.
 */
export const addMessageMedia: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table messaging.messages add column media jsonb`.execute(db);
    await sql`create index messages_by_media on messaging.messages using gin (media jsonb_path_ops) where media is not null`.execute(db);
    await sql`
      drop function messaging.append_batch(
        uuid[], uuid[], bigint[], text[], text[], text[], uuid[], jsonb[], timestamptz[], timestamptz[],
        uuid[], bigint[], bigint[], int[],
        uuid[], bigint[], text[], jsonb[], text[], uuid[], text[], bigint[],
        int[], text[], int[], text[], timestamptz, text)`.execute(db);
    await sql`
      create function messaging.append_batch(
        m_id uuid[], m_chat uuid[], m_seq bigint[], m_sender text[], m_client text[], m_text text[], m_reply uuid[],
        m_forwarded jsonb[], m_media jsonb[], m_edited timestamptz[], m_deleted timestamptz[],
        c_id uuid[], c_last_seq bigint[], c_last_broadcast_seq bigint[], c_member_count int[],
        e_chat uuid[], e_seq bigint[], e_type text[], e_data jsonb[], e_only_for text[], e_message uuid[], e_chat_type text[], e_previous_seq bigint[],
        f_event int[], f_user text[],
        o_event int[], o_subject text[],
        at timestamptz, at_text text
      ) returns void language plpgsql as $fn$
      begin
        insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, created_at, edited_at, deleted_at)
        select id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, at, edited_at, deleted_at
        from unnest(m_id, m_chat, m_seq, m_sender, m_client, m_text, m_reply, m_forwarded, m_media, m_edited, m_deleted)
          as m(id, chat_id, seq, sender_id, client_msg_id, text, reply_to_id, forwarded_from, media, edited_at, deleted_at);

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

import { type Kysely, type Migration, sql } from 'kysely';

/**
 * `messaging.open_batch`: a batch's chat locks and everything its operations
 * read, in one round trip instead of three to five (the lock, then the
 * members, the clientMsgIds, the messages named by id and secret chats'
 * epochs, which come with the locked rows). Each round trip
 * waits for this thread and a database process to be scheduled in turn; on
 * the 2-core host, at half the peak rate into 1,000 direct chats, the lock
 * and the two reads after it took 3–4 ms of a batch's 8–11 ms, for some
 * 0.3 ms of statements (bench/README.md, "One round trip to open a batch").
 * A hot chat's lock is held for that long too.
 *
 * A PL/pgSQL function, not one statement: under READ COMMITTED a statement
 * reads one snapshot, taken before its row locks are granted, so the reads
 * would miss what the batch before committed while this one waited on its
 * lock. Each statement of a function takes a new snapshot: the reads follow
 * the locks.
 *
 * The reads are two set-returning SQL functions, which PostgreSQL inlines
 * where they are called, so EXPLAIN of a call shows the plan a batch gets
 * (the plan tests in test/messaging/send-batching.test.ts):
 * - `batch_members`: every member of the direct chats (their feed rows need
 *   no more reads), and the named members of the other chats. Two index
 *   scans, not one OR: with `chat_id = any(…) or (chat_id, user_id) in (…)`
 *   PostgreSQL read the whole members table for every batch (bench/README.md,
 *   "The members read"). The named members are one probe each, through
 *   LATERAL … LIMIT 1, for the reason given at batch_sent: joined plainly,
 *   300 of them against 10,000 memberships hashed the whole table (5.8 ms;
 *   1.7 ms probed).
 * - `batch_sent`: the messages stored under the sends' clientMsgIds, one
 *   probe of the unique index per key. As a plain join of the keys with the
 *   messages, PostgreSQL hashed the whole table whenever it estimated one
 *   scan cheaper than a probe per key — the more keys a batch carries, the
 *   larger the table it scans: with 128 keys up to some 25,000 messages. On
 *   the 2-core host 7.6 ms for 11,000 messages, paid under the batch's chat
 *   locks; LATERAL with LIMIT 1 cannot become that join: 128 probes, 1.1 ms.
 */
export const createOpenBatchFunction: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create function messaging.batch_members(direct_ids uuid[], named_chat uuid[], named_user text[])
      returns table (chat_id uuid, user_id text, role text, read_seq bigint, joined_at timestamptz)
      language sql stable as $fn$
        select d.chat_id, d.user_id, d.role, d.read_seq, d.joined_at from messaging.members d
        where d.chat_id = any(direct_ids)
        union all
        select m.chat_id, m.user_id, m.role, m.read_seq, m.joined_at
        from unnest(named_chat, named_user) as k(chat_id, user_id)
        cross join lateral (
          select x.chat_id, x.user_id, x.role, x.read_seq, x.joined_at from messaging.members x
          where x.chat_id = k.chat_id and x.user_id = k.user_id
          limit 1
        ) m
      $fn$`.execute(db);
    await sql`
      create function messaging.batch_sent(sent_chat uuid[], sent_sender text[], sent_client text[])
      returns table (id uuid, chat_id uuid, seq bigint, sender_id text, client_msg_id text, text text, reply_to_id uuid,
                     forwarded_from jsonb, media jsonb, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz)
      language sql stable as $fn$
        select m.id, m.chat_id, m.seq, m.sender_id, m.client_msg_id, m.text, m.reply_to_id,
               m.forwarded_from, m.media, m.created_at, m.edited_at, m.deleted_at
        from unnest(sent_chat, sent_sender, sent_client) as k(chat_id, sender_id, client_msg_id)
        cross join lateral (
          select x.id, x.chat_id, x.seq, x.sender_id, x.client_msg_id, x.text, x.reply_to_id,
                 x.forwarded_from, x.media, x.created_at, x.edited_at, x.deleted_at
          from messaging.messages x
          where x.chat_id = k.chat_id and x.sender_id = k.sender_id and x.client_msg_id = k.client_msg_id
          limit 1
        ) m
      $fn$`.execute(db);
    await sql`
      create function messaging.open_batch(
        chat_ids uuid[], named_chat uuid[], named_user text[], sent_chat uuid[], sent_sender text[], sent_client text[], message_ids uuid[]
      ) returns table (locked_chats json, member_rows json, sent_rows json, message_rows json)
      language plpgsql as $fn$
      declare
        locked json;
        direct_ids uuid[];
        other_ids uuid[];
        other_chat uuid[];
        other_user text[];
      begin
        -- Locked in id order, as every writer holding several chat locks takes them: batches never deadlock.
        select coalesce(json_agg(c order by c.id), '[]'),
               coalesce(array_agg(c.id) filter (where c.type = 'direct'), '{}'),
               coalesce(array_agg(c.id) filter (where c.type <> 'direct'), '{}')
          into locked, direct_ids, other_ids
          from (select x.id, x.type, x.title, x.description, x.last_seq, x.last_broadcast_seq, x.member_count, x.mls_epoch
                from messaging.chats x where x.id = any(chat_ids) order by x.id for update) c;
        -- Named members of direct chats come with the whole membership.
        select coalesce(array_agg(k.c), '{}'), coalesce(array_agg(k.u), '{}') into other_chat, other_user
          from unnest(named_chat, named_user) as k(c, u) where k.c = any(other_ids);
        return query select
          locked,
          (select coalesce(json_agg(m), '[]') from messaging.batch_members(direct_ids, other_chat, other_user) m),
          (select coalesce(json_agg(s), '[]') from messaging.batch_sent(sent_chat, sent_sender, sent_client) s),
          (select coalesce(json_agg(x), '[]') from (
             select y.id, y.chat_id, y.seq, y.sender_id, y.client_msg_id, y.text, y.reply_to_id,
                    y.forwarded_from, y.media, y.created_at, y.edited_at, y.deleted_at
             from messaging.messages y where y.id = any(message_ids)) x);
      end
      $fn$`.execute(db);
  },
};

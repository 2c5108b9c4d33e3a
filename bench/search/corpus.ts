import { type Kysely, sql } from 'kysely';

/**
 * A synthetic chat corpus for the search bench: words drawn from a skewed
 * distribution (a few very common, a long tail of rare ones), English and
 * Russian mixed as the original users write. Generated inside the database
 * (one INSERT … SELECT per slice), so loading a million rows costs no
 * round trips per row.
 */

const COMMON = [
  'the', 'hello', 'ok', 'meeting', 'tomorrow', 'привет', 'да', 'сегодня', 'time', 'today', 'work', 'спасибо', 'think', 'good',
  'message', 'сообщение', 'runs', 'late', 'coffee', 'project', 'встреча', 'завтра', 'document', 'review', 'deploy', 'release',
];
/** The long tail: many words, each rare. */
const TAIL = Array.from({ length: 4000 }, (_, index) => `w${index.toString(36)}x`);
export const VOCABULARY: readonly string[] = [...COMMON, ...TAIL];

/** What the bench searches for, with what a plain ILIKE would look for. */
export interface BenchQuery {
  readonly name: string;
  readonly q: string;
  /** Substrings the ILIKE baseline requires (all of them). */
  readonly like: readonly string[];
}

export const QUERIES: readonly BenchQuery[] = [
  { name: 'common word', q: 'meeting', like: ['meeting'] },
  { name: 'rare word', q: TAIL[2500]!, like: [TAIL[2500]!] },
  { name: 'Russian form (сообщения)', q: 'сообщения', like: ['сообщения'] },
  { name: 'prefix being typed (mess)', q: 'mess', like: ['mess'] },
  { name: 'two words', q: 'coffee tomorrow', like: ['coffee', 'tomorrow'] },
];

/** The same deterministic ids for the same numbers, on both engines. */
export const chatIdSql = (n: unknown) => sql`md5('bench-chat-' || ${n})::uuid`;

/**
 * `chats` groups; the bench user is a member of the first `userChats`, each
 * of the others has its own owner only. Then `messages` messages, round
 * robin over the chats, 6–15 words each.
 */
export async function loadCorpus(
  db: Kysely<unknown>,
  sizes: { readonly messages: number; readonly chats: number; readonly userChats: number },
  userId: string,
  progress: (done: number) => void,
): Promise<void> {
  await sql`select setseed(0.42)`.execute(db);
  await sql`
    insert into messaging.chats (id, type, title, member_count, last_seq, last_broadcast_seq, created_by, created_at)
    select ${chatIdSql(sql`g`)}, 'group', 'bench ' || g, 1, 0, 0, 'owner-' || g, now()
    from generate_series(0, ${sizes.chats - 1}::int) g`.execute(db);
  await sql`
    insert into messaging.members (chat_id, user_id, role, joined_at)
    select ${chatIdSql(sql`g`)}, 'owner-' || g, 'owner', now() from generate_series(0, ${sizes.chats - 1}::int) g`.execute(db);
  await sql`
    insert into messaging.members (chat_id, user_id, role, joined_at)
    select ${chatIdSql(sql`g`)}, ${userId}, 'member', now() from generate_series(0, ${sizes.userChats - 1}::int) g`.execute(db);
  const slice = 20_000;
  for (let from = 0; from < sizes.messages; from += slice) {
    const to = Math.min(sizes.messages, from + slice) - 1;
    // power(random(), 4) skews the draw toward the start of the vocabulary:
    // the common words appear in most messages, a tail word in a few dozen.
    await sql`
      insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, created_at)
      select gen_random_uuid(), ${chatIdSql(sql`i % ${sizes.chats}::int`)}, i / ${sizes.chats}::int + 1, 'owner-' || (i % ${sizes.chats}::int), 'b' || i,
             (select string_agg((${VOCABULARY}::text[])[1 + floor(power(random(), 4) * ${VOCABULARY.length}::int)::int], ' ')
              from generate_series(1, 6 + i % 10)),
             now() - make_interval(secs => ${sizes.messages}::int - i)
      from generate_series(${from}::int, ${to}::int) i`.execute(db);
    progress(to + 1);
  }
  await sql`analyze messaging.messages`.execute(db);
  await sql`analyze messaging.members`.execute(db);
  await sql`analyze messaging.chats`.execute(db);
}

/** A message text of 6–15 words from the same vocabulary, for the send bench. */
export function textOf(index: number): string {
  const words: string[] = [];
  for (let n = 0; n < 6 + (index % 10); n++) words.push(VOCABULARY[Math.floor(Math.random() ** 4 * VOCABULARY.length)]!);
  return words.join(' ');
}

import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatId, MessageId, UserId } from '@kaif/protocol';
import type { ChatEvent, Message } from '../../packages/server/src/modules/messaging/api.js';
import { type BatchWrites, memberChangesWrite, messageChangesWrite } from '../../packages/server/src/modules/messaging/chat-batch.js';
import type { MessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { KaifError } from '../../packages/server/src/platform/http/kaif-error.js';
import { MESSAGING_ENGINES as ENGINES } from './messaging-engines.js';
import { VisibilityModel, eventKey, lastOutboxId, liveEventsAfter, perChat, servicesOn } from './feed-harness.js';

/** A batch's two ways of writing (see ChatBatch.write): both must keep every guarantee. */
const WRITES: readonly BatchWrites[] = ['function', 'statements'];

/**
 * A second batch beside the one in flight however few operations wait: so
 * that batches of a handful of operations overlap, and the tests reach the
 * ordering between overlapping batches (the product waits for company).
 */
const OVERLAP_EVERY_BATCH = { pipelineFrom: 1 } as const;

const codeOf = (error: unknown) => (error instanceof KaifError ? error.code : 'other');

async function logSeqs(db: Database, chatId: string): Promise<number[]> {
  const rows = await sql<{ seq: number }>`select seq from messaging.chat_events where chat_id = ${chatId} order by seq`.execute(db.kysely());
  return rows.rows.map((row) => Number(row.seq));
}

for (const engine of ENGINES) {
  describe.runIf(engine.available())(`group commit of every log append (${engine.name})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let services: MessagingServices;
    beforeAll(async () => {
      ({ db, close } = await engine.open());
      services = servicesOn(db, { lanes: engine.lanes, ...OVERLAP_EVERY_BATCH });
    });
    afterAll(async () => {
      await close?.();
    });

    for (const writes of WRITES) {
      describe(`writing with ${writes === 'function' ? 'one call of messaging.append_batch' : 'one statement per table'}`, () => {
        let services: MessagingServices;
        const u = (name: string) => `${writes}-${name}`;
        beforeAll(() => {
          services = servicesOn(db, { lanes: engine.lanes, writes, ...OVERLAP_EVERY_BATCH });
        });

      it('fails a poisoned send alone and commits the rest of its batch, each retry answered with the first message', async () => {
        const direct = (await services.chats.create(u('pb-a'), { type: 'direct', memberIds: [u('pb-b')] })).chat;
        const group = (await services.chats.create(u('pb-a'), { type: 'group', title: 'g', memberIds: [u('pb-b')] })).chat;
        const channel = (await services.chats.create(u('pb-a'), { type: 'channel', title: 'c', memberIds: [u('pb-c')] })).chat;
        const elsewhere = await services.messages.send(u('pb-a'), { chatId: group.id as ChatId, clientMsgId: 'g1', text: 'in the group' });
        const send = (userId: string, chatId: string, clientMsgId: string, text: string, replyToId?: string) =>
          services.messages.send(userId, { chatId: chatId as ChatId, clientMsgId, text, ...(replyToId ? { replyToId: replyToId as MessageId } : {}) });
        // Submitted in one turn of the event loop: they share a batch.
        const outcomes = await Promise.allSettled([
          send(u('pb-a'), direct.id, 'k1', 'first'),
          send(u('pb-c'), direct.id, 'k2', 'not a member'),
          send(u('pb-c'), channel.id, 'k3', 'a subscriber may not post'),
          send(u('pb-a'), direct.id, 'k4', 'a reply to another chat', elsewhere.message.id),
          send(u('pb-a'), direct.id, 'k5', 'a lone surrogate \ud800 PostgreSQL refuses in JSON'),
          send(u('pb-b'), direct.id, 'k6', 'second'),
          send(u('pb-a'), direct.id, 'k1', 'first, retried in the same batch'),
        ]);
        const [first, notMember, forbidden, badReply, poisoned, second, retry] = outcomes;
        expect(notMember).toMatchObject({ status: 'rejected' });
        expect(codeOf((notMember as PromiseRejectedResult).reason)).toBe('CHAT_NOT_FOUND');
        expect(codeOf((forbidden as PromiseRejectedResult).reason)).toBe('CHAT_WRITE_FORBIDDEN');
        expect(codeOf((badReply as PromiseRejectedResult).reason)).toBe('VALIDATION_FAILED');
        expect(poisoned!.status).toBe('rejected');
        expect(first).toMatchObject({ status: 'fulfilled', value: { created: true, message: { text: 'first' } } });
        expect(second).toMatchObject({ status: 'fulfilled', value: { created: true, message: { text: 'second' } } });
        const firstMessage = (first as PromiseFulfilledResult<{ message: { id: string; seq: number } }>).value.message;
        expect(retry).toMatchObject({ status: 'fulfilled', value: { created: false, message: { id: firstMessage.id, text: 'first' } } });
        const history = await services.messages.list(u('pb-a'), direct.id, { after: 0 });
        expect(history.map((message) => message.text)).toEqual(['first', 'second']);
        const seqs = await logSeqs(db, direct.id);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
      });

      it('keeps arrival order in the log when a batch fails as a whole while the next one is already under way', async () => {
        const group = (await services.chats.create(u('po-a'), { type: 'group', title: 'g', memberIds: [u('po-b')] })).chat;
        const send = (clientMsgId: string, text: string) => services.messages.send(u('po-a'), { chatId: group.id as ChatId, clientMsgId, text });
        // One batch that fails as a whole and is retried send by send…
        const first = [send('o1', 'one'), send('o2', 'a lone surrogate \ud800 PostgreSQL refuses in JSON'), send('o3', 'two')];
        // …and, a turn later, the next batch, started while the first is still in the database.
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        const second = [send('o4', 'three'), send('o5', 'four')];
        const outcomes = await Promise.allSettled([...first, ...second]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
        const history = await services.messages.list(u('po-a'), group.id, { after: 0 });
        expect(history.map((message) => message.text)).toEqual(['one', 'two', 'three', 'four']);
        const seqs = await logSeqs(db, group.id);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
      });

      it('fails a poisoned edit or delete alone in a batch of sends, edits, deletes, reads and member changes', async () => {
        const group = (await services.chats.create(u('pe-a'), { type: 'group', title: 'g', memberIds: [u('pe-b'), u('pe-c')] })).chat;
        const chatId = group.id as ChatId;
        const mine = (await services.messages.send(u('pe-a'), { chatId, clientMsgId: 'm1', text: 'mine' })).message;
        const theirs = (await services.messages.send(u('pe-b'), { chatId, clientMsgId: 't1', text: 'theirs' })).message;
        const gone = (await services.messages.send(u('pe-b'), { chatId, clientMsgId: 'g1', text: 'gone' })).message;
        await services.messages.delete(u('pe-b'), chatId, gone.id);
        const before = await logSeqs(db, group.id);
        // Submitted in one turn of the event loop: they share a batch.
        const outcomes = await Promise.allSettled([
          services.messages.send(u('pe-c'), { chatId, clientMsgId: 'c1', text: 'a send in the batch' }),
          services.messages.edit(u('pe-c'), chatId, mine.id, 'not the author'),
          services.messages.delete(u('pe-c'), chatId, theirs.id),
          services.messages.edit(u('pe-b'), chatId, gone.id, 'deleted already'),
          services.messages.delete(u('pe-a'), chatId, gone.id),
          services.messages.edit(u('pe-b'), chatId, theirs.id, 'a lone surrogate \ud800 PostgreSQL refuses in JSON'),
          services.messages.edit(u('pe-b'), chatId, theirs.id, 'theirs, edited'),
          services.messages.delete(u('pe-a'), chatId, mine.id),
          services.messages.markRead(u('pe-c'), chatId, Number.MAX_SAFE_INTEGER),
          services.members.setRole(u('pe-a'), chatId, u('pe-b'), 'admin'),
          services.members.remove(u('pe-c'), chatId, u('pe-b')),
        ]);
        const codes: string[] = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : codeOf(outcome.reason)));
        expect(outcomes[5]!.status).toBe('rejected');
        codes[5] = 'refused by the engine';
        expect(codes).toEqual([
          'ok',
          'MESSAGE_AUTHOR_REQUIRED',
          'MESSAGE_AUTHOR_REQUIRED',
          'MESSAGE_NOT_FOUND',
          'MESSAGE_NOT_FOUND',
          'refused by the engine',
          'ok',
          'ok',
          'ok',
          'ok',
          'CHAT_ADMIN_REQUIRED',
        ]);
        expect(outcomes[6]).toMatchObject({ status: 'fulfilled', value: { text: 'theirs, edited' } });
        const history = await services.messages.list(u('pe-a'), chatId, { after: 0 });
        expect(history.map((message) => [message.text, message.deleted])).toEqual([
          [null, true],
          ['theirs, edited', false],
          [null, true],
          ['a send in the batch', false],
        ]);
        // The deleted message's text is gone from every log event about it.
        const texts = await sql<{ text: string | null }>`
          select payload->>'text' as text from messaging.chat_events where message_id = ${mine.id}`.execute(db.kysely());
        expect(texts.rows.map((row) => row.text)).toEqual([null, null]);
        const seqs = await logSeqs(db, group.id);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
        // send, edit, delete, read, role: five events after the batch's start.
        expect(seqs.length - before.length).toBe(5);
        const members = await sql<{ user_id: string; role: string; read_seq: number }>`
          select user_id, role, read_seq from messaging.members where chat_id = ${group.id} order by user_id`.execute(db.kysely());
        expect(members.rows.map((row) => [row.user_id, row.role, Number(row.read_seq)])).toEqual([
          [u('pe-a'), 'owner', 0],
          [u('pe-b'), 'admin', 0],
          [u('pe-c'), 'member', before.length + 3],
        ]);
      });

      it('applies the operations of one batch in the order they arrived, each seeing those before it', async () => {
        const group = (await services.chats.create(u('ao-a'), { type: 'group', title: 'g', memberIds: [u('ao-b'), u('ao-c')] })).chat;
        const chatId = group.id as ChatId;
        const first = (await services.messages.send(u('ao-b'), { chatId, clientMsgId: 'f', text: 'first' })).message;
        const startId = await lastOutboxId(db);
        const outcomes = await Promise.allSettled([
          services.messages.edit(u('ao-b'), chatId, first.id, 'second thoughts'),
          services.messages.delete(u('ao-b'), chatId, first.id),
          services.messages.edit(u('ao-b'), chatId, first.id, 'too late'),
          services.members.leave(u('ao-b'), chatId),
          services.messages.send(u('ao-b'), { chatId, clientMsgId: 'after-leaving', text: 'not a member any more' }),
          services.members.setRole(u('ao-a'), chatId, u('ao-c'), 'admin'),
          // An admin now, not the owner: may not remove the owner.
          services.members.remove(u('ao-c'), chatId, u('ao-a')),
          services.messages.send(u('ao-c'), { chatId, clientMsgId: 'hello', text: 'hello' }),
          services.messages.markRead(u('ao-c'), chatId, Number.MAX_SAFE_INTEGER),
          services.members.remove(u('ao-c'), chatId, u('ao-b')),
        ]);
        const codes = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : codeOf(outcome.reason)));
        expect(codes).toEqual(['ok', 'ok', 'MESSAGE_NOT_FOUND', 'ok', 'CHAT_NOT_FOUND', 'ok', 'CHAT_OWNER_REQUIRED', 'ok', 'ok', 'MEMBER_NOT_FOUND']);
        // The edit's text went with the delete, from the log and from what the relay publishes.
        const texts = await sql<{ text: string | null }>`
          select payload->>'text' as text from messaging.chat_events where message_id = ${first.id} order by seq`.execute(db.kysely());
        expect(texts.rows.map((row) => row.text)).toEqual([null, null, null]);
        const published = (await liveEventsAfter(db, startId)).filter(({ event }) => event.chatId === group.id && 'text' in event.data);
        expect(published.map(({ event }) => [event.type, event.data.text])).toEqual([
          ['message.edited', null],
          ['message.deleted', null],
          ['message.new', 'hello'],
        ]);
        const log = await sql<{ seq: number; type: string; payload: { userId?: string; change?: string; seq?: number; role?: string } }>`
          select seq, type, payload from messaging.chat_events where chat_id = ${group.id} order by seq`.execute(db.kysely());
        const tail = log.rows.slice(-6).map((row) => [row.type, row.payload.userId ?? '', row.payload.change ?? '', row.payload.role ?? '']);
        expect(tail).toEqual([
          ['message.edited', '', '', ''],
          ['message.deleted', '', '', ''],
          ['chat.member', u('ao-b'), 'left', 'member'],
          ['chat.member', u('ao-c'), 'role', 'admin'],
          ['message.new', '', '', ''],
          ['chat.read', u('ao-c'), '', ''],
        ]);
        expect(log.rows.at(-1)!.payload.seq).toBe(Number(log.rows.at(-2)!.seq));
        expect(await services.chats.get(u('ao-c'), chatId)).toMatchObject({ role: 'admin', memberCount: 2 });
        const seqs = await logSeqs(db, group.id);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
      });
      });
    }

    it('under light load, commits the sends that arrive while a batch is in flight together in the next batch, not one batch each beside it', async () => {
      const batchSizes: number[] = [];
      const light = servicesOn(db, { lanes: 1, observeBatch: (operations) => void batchSizes.push(operations) });
      const group = (await light.chats.create('light-a', { type: 'group', title: 'g', memberIds: ['light-b'] })).chat;
      batchSizes.length = 0;
      const send = (text: string) => light.messages.send('light-a', { chatId: group.id as ChatId, clientMsgId: text, text });
      const sent = [send('zero')];
      // One send a turn while the first batch is still in the database: each alone would start a batch beside it.
      for (const text of ['one', 'two', 'three']) {
        await new Promise((resolve) => setImmediate(resolve));
        sent.push(send(text));
      }
      await Promise.all(sent);
      expect(batchSizes).toEqual([1, 3]);
      const history = await light.messages.list('light-a', group.id, { after: 0 });
      expect(history.map((message) => message.text)).toEqual(['zero', 'one', 'two', 'three']);
    });

    it('refuses new appends at the door while live delivery is behind, and takes them again once it caught up', async () => {
      let behind = false;
      const gated = servicesOn(db, { lanes: engine.lanes, deliveryBehind: () => behind });
      const group = (await gated.chats.create('gate-a', { type: 'group', title: 'g', memberIds: ['gate-b'] })).chat;
      const send = (clientMsgId: string) => gated.messages.send('gate-a', { chatId: group.id as ChatId, clientMsgId, text: clientMsgId });
      await send('before');
      behind = true;
      expect(gated.batcher.admits(group.id)).toBe(false);
      const refused = await send('while behind').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retryAfter: 1 });
      behind = false;
      await send('after');
      const history = await gated.messages.list('gate-a', group.id, { after: 0 });
      expect(history.map((message) => message.text)).toEqual(['before', 'after']);
    });

    it.each(WRITES)('keeps every log gap-free, stores each clientMsgId once and feeds each user exactly their visible log under concurrent batches of every kind of change (writing with %s)', async (writes) => {
      // The product's path gets the full count of runs; the statements (kept for the bench) a smaller one.
      const batched = writes === 'function' ? services : servicesOn(db, { lanes: engine.lanes, writes, ...OVERLAP_EVERY_BATCH });
      const fullRuns = writes === 'function';
      const USERS = 4;
      const anyone = { user: fc.nat(USERS - 1), chat: fc.nat(2), pick: fc.nat(7) };
      // Member changes concern the group (1) and the channel (2): a direct chat never changes.
      const groupOrChannel = { user: fc.nat(USERS - 1), chat: fc.integer({ min: 1, max: 2 }), pick: fc.nat(7) };
      const op = fc.oneof(
        { arbitrary: fc.record({ op: fc.constant('send' as const), ...anyone }), weight: 6 },
        { arbitrary: fc.record({ op: fc.constant('retry' as const), ...anyone }), weight: 3 },
        { arbitrary: fc.record({ op: fc.constant('edit' as const), ...anyone }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('delete' as const), ...anyone }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('read' as const), ...anyone }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('join' as const), ...groupOrChannel }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('leave' as const), ...groupOrChannel }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('remove' as const), ...groupOrChannel }), weight: 1 },
        { arbitrary: fc.record({ op: fc.constant('role' as const), ...groupOrChannel }), weight: 1 },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 5 }), async (rounds) => {
          run += 1;
          const users = Array.from({ length: USERS }, (_, index) => `cb-${writes}-${engine.name}-${run}-${index}`);
          const owner = users[0]!;
          const startId = await lastOutboxId(db);
          const chats = [
            (await batched.chats.create(owner, { type: 'direct', memberIds: [users[1]!] })).chat,
            (await batched.chats.create(owner, { type: 'group', title: 'g', memberIds: [users[1]!, users[2]!] })).chat,
            (await batched.chats.create(owner, { type: 'channel', title: 'c', memberIds: [users[3]!] })).chat,
          ];
          const taken: { user: string; cursor: string; outboxId: number }[] = [];
          const sentBy = new Map<string, string>();
          // Messages stored so far, per chat: what edits and deletes aim at (possibly deleted, possibly someone else's).
          const stored = new Map<string, string[]>(chats.map((chat) => [chat.id, []]));
          let step = 0;
          for (const round of rounds) {
            const outboxId = await lastOutboxId(db);
            for (const user of users) taken.push({ user, cursor: (await batched.feed.changesSince(user, null)).cursor, outboxId });
            // Every operation of the round is submitted in the same turn of the event loop (no await before it), so
            // sends, edits, deletes, reads and member changes share batches.
            const submitted = round.map(({ op: kind, user: userIndex, chat: chatIndex, pick }): Promise<unknown> => {
              step += 1;
              const user = users[userIndex]!;
              const chat = chats[chatIndex]!;
              const chatId = chat.id as ChatId;
              const targets = stored.get(chat.id)!;
              const target = targets[targets.length - 1 - (pick % Math.max(1, targets.length))];
              switch (kind) {
                case 'send':
                case 'retry': {
                  // A retry reuses the clientMsgId of this user's first send in the chat, possibly still in flight.
                  const clientMsgId = kind === 'retry' ? `first-${chat.id}` : sentBy.has(`${user}|${chat.id}`) ? `s${step}` : `first-${chat.id}`;
                  sentBy.set(`${user}|${chat.id}`, clientMsgId);
                  return batched.messages.send(user, { chatId, clientMsgId, text: `text ${step}` }).then(({ message, created }) => {
                    const key = `${user}|${chat.id}|${clientMsgId}`;
                    const known = sentBy.get(key);
                    if (known !== undefined) expect(message.id).toBe(known);
                    sentBy.set(key, message.id);
                    if (created) targets.push(message.id);
                  });
                }
                case 'edit': {
                  if (!target) return Promise.resolve();
                  const text = `edited ${step}`;
                  return batched.messages.edit(user, chatId, target, text).then((edited) => expect(edited.text).toBe(text));
                }
                case 'delete':
                  return target ? batched.messages.delete(user, chatId, target) : Promise.resolve();
                case 'read':
                  return batched.messages.markRead(user, chatId, pick % 2 ? Number.MAX_SAFE_INTEGER : step);
                case 'join':
                  return chat.type === 'group' ? batched.members.add(owner, chatId, user) : batched.members.join(user, chatId);
                case 'leave':
                  return batched.members.leave(user, chatId);
                case 'remove':
                  return batched.members.remove(owner, chatId, user);
                default:
                  return batched.members.setRole(owner, chatId, user, pick % 2 ? 'admin' : 'member');
              }
            });
            const outcomes = await Promise.allSettled(submitted);
            for (const outcome of outcomes) {
              // Refusals (KaifError: no permission, a deleted message, not a member) are part of the game, anything else is not.
              if (outcome.status === 'rejected' && !(outcome.reason instanceof KaifError)) throw outcome.reason;
            }
          }
          for (const chat of chats) {
            const seqs = await logSeqs(db, chat.id);
            expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
            const messages = await sql<{ n: number; distinct_ids: number }>`
              select count(*)::int as n, count(distinct (sender_id, client_msg_id))::int as distinct_ids
              from messaging.messages where chat_id = ${chat.id}`.execute(db.kysely());
            expect(messages.rows[0]!.n).toBe(messages.rows[0]!.distinct_ids);
            // Each message row says what the last log event about it says; a deleted one's text is gone from all of them.
            const agreement = await sql<{ id: string; text: string | null; deleted: boolean; last_text: string | null; texts_left: number }>`
              select m.id, m.text, m.deleted_at is not null as deleted,
                     (select e.payload->>'text' from messaging.chat_events e where e.message_id = m.id order by e.seq desc limit 1) as last_text,
                     (select count(*)::int from messaging.chat_events e where e.message_id = m.id and e.payload->>'text' is not null) as texts_left
              from messaging.messages m where m.chat_id = ${chat.id}`.execute(db.kysely());
            for (const row of agreement.rows) {
              expect(row.last_text).toBe(row.text);
              if (row.deleted) expect([row.text, row.texts_left]).toEqual([null, 0]);
            }
            // The chat row's counters agree with its members and its log.
            const counters = await sql<{ member_count: number; members: number; last_seq: number; max_read: number | null }>`
              select c.member_count, c.last_seq, (select count(*)::int from messaging.members m where m.chat_id = c.id) as members,
                     (select max(read_seq) from messaging.members m where m.chat_id = c.id) as max_read
              from messaging.chats c where c.id = ${chat.id}`.execute(db.kysely());
            const counter = counters.rows[0]!;
            expect(counter.member_count).toBe(counter.members);
            expect(Number(counter.last_seq)).toBe(seqs.length);
            expect(Number(counter.max_read ?? 0)).toBeLessThanOrEqual(seqs.length);
          }
          const live = await liveEventsAfter(db, startId);
          const model = new VisibilityModel();
          const audiences = live.map(({ event }) => model.audienceOf(event));
          for (const { user, cursor, outboxId } of taken) {
            const expected = live.filter(({ id }, index) => id > outboxId && audiences[index]!.has(user)).map(({ event }) => event);
            const events: ChatEvent[] = [];
            let at = cursor;
            for (let page = 0; page < 100; page++) {
              const next = await batched.feed.changesSince(user, at, 7);
              events.push(...next.events);
              at = next.cursor;
              if (!next.hasMore) break;
            }
            expect(perChat(events)).toEqual(perChat(expected));
            expect(events.map(eventKey).sort()).toEqual(expected.map(eventKey).sort());
            const position = await batched.api.feedPosition(user as UserId, cursor);
            for (const { event } of live.filter(({ id }) => id > outboxId)) expect(position.follow(user as UserId, event)).not.toBe('gap');
            expect((await batched.feed.changesSince(user, position.cursor)).events).toEqual([]);
          }
        }),
        { numRuns: fullRuns ? (engine.name === 'PGlite' ? 25 : 40) : 8 },
      );
    }, 240_000);

    // messaging.open_batch reads through two SQL functions that PostgreSQL inlines where they are called: EXPLAIN of a call shows a batch's
    // plan (not inlined, it would show a Function Scan and no table).
    const membersRead = (direct: readonly string[], others: readonly { chatId: string; userId: string }[]) =>
      sql`select * from messaging.batch_members(${direct}::uuid[], ${others.map((m) => m.chatId)}::uuid[], ${others.map((m) => m.userId)}::text[])`;

    it("reads a batch's members through the indexes, never by a scan of every membership", async () => {
      // Forbidding sequential scans leaves the planner one only where no index serves the query.
      const plan = await db
        .kysely()
        .transaction()
        .execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          const direct = [crypto.randomUUID()];
          const others = [{ chatId: crypto.randomUUID(), userId: 'someone' }];
          const rows = await sql<Record<string, unknown>>`explain (format json) ${membersRead(direct, others)}`.execute(trx);
          return JSON.stringify(rows.rows);
        });
      expect(plan).toContain('"Relation Name":"members"');
      expect(plan).not.toContain('"Node Type":"Seq Scan"');
    });

    it("writes a batch's member and message changes one index probe each, never by hashing a whole table", async () => {
      const state = { role: 'member' as const, readSeq: 7, joinedAt: new Date() };
      const members = Array.from({ length: 300 }, (_, index) => ({ chatId: crypto.randomUUID(), userId: `member-${index}`, state }));
      const edits = Array.from({ length: 128 }, () => ({ id: crypto.randomUUID(), text: 'edited', editedAt: new Date().toISOString(), deleted: false }) as unknown as Message);
      for (const write of [memberChangesWrite(members), messageChangesWrite(edits, new Date())]) {
        const rows = await sql<Record<string, unknown>>`explain (format json) ${write}`.execute(db.kysely());
        const plan = JSON.stringify(rows.rows);
        expect(plan).toContain('"Node Type":"Tid Scan"');
        expect(plan).not.toContain('"Node Type":"Hash Join"');
      }
    });

    const keyedReads = [
      {
        keys: 'named members',
        table: 'members',
        read: () => membersRead([], Array.from({ length: 300 }, (_, index) => ({ chatId: crypto.randomUUID(), userId: `member-${index}` }))),
      },
      {
        keys: 'clientMsgIds',
        table: 'messages',
        read: () => {
          const chats = Array.from({ length: 128 }, () => crypto.randomUUID());
          return sql`select * from messaging.batch_sent(${chats}::uuid[], ${chats.map(() => 'someone')}::text[], ${chats.map((_, index) => `retry-${index}`)}::text[])`;
        },
      },
    ];
    for (const { keys, table, read } of keyedReads) {
      it(`looks up a batch's ${keys} one index probe each, never by hashing every row of ${table}`, async () => {
        const rows = await sql<Record<string, unknown>>`explain (format json) ${read()}`.execute(db.kysely());
        const plan = JSON.stringify(rows.rows);
        expect(plan).toContain(`"Relation Name":"${table}"`);
        expect(plan).toContain('"Node Type":"Nested Loop"');
        expect(plan).not.toContain('"Node Type":"Hash Join"');
      });
    }
  });
}

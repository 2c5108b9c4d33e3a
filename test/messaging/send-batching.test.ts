import fc from 'fast-check';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatId, MessageId, UserId } from '@kaif/protocol';
import type { ChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import type { MessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import { messagingMigrations } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { KaifError } from '../../packages/server/src/platform/http/kaif-error.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { openMigratedPglite } from '../support/pglite-template.js';
import { VisibilityModel, applyChange, eventKey, lastOutboxId, liveEventsAfter, perChat, servicesOn } from './feed-harness.js';

interface Engine {
  readonly name: string;
  readonly available: () => boolean;
  readonly open: () => Promise<{ db: Database; close: () => Promise<void> }>;
  /** Concurrent batch lanes: one on PGlite's single connection, two on PostgreSQL. */
  readonly lanes: number;
}

const ENGINES: readonly Engine[] = [
  {
    name: 'PGlite',
    available: () => true,
    lanes: 1,
    async open() {
      const db = await openMigratedPglite();
      return { db, close: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    available: () => engineAvailable('postgres'),
    lanes: 2,
    async open() {
      const scratch: ScratchDatabase = await createScratchDatabase();
      const logger = createLogger('silent');
      const registry = new Registry();
      const db = await openPostgresDatabase({ url: scratch.url, poolSize: 8, policy: createDependencyPolicy('postgres', { logger, registry }), logger, registry });
      await db.migrate([platformMigrations, messagingMigrations]);
      return {
        db,
        async close() {
          await db.close();
          await scratch.drop();
        },
      };
    },
  },
];

const codeOf = (error: unknown) => (error instanceof KaifError ? error.code : 'other');

async function logSeqs(db: Database, chatId: string): Promise<number[]> {
  const rows = await sql<{ seq: number }>`select seq from messaging.chat_events where chat_id = ${chatId} order by seq`.execute(db.kysely());
  return rows.rows.map((row) => Number(row.seq));
}

for (const engine of ENGINES) {
  describe.runIf(engine.available())(`group commit of sends (${engine.name})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let services: MessagingServices;
    beforeAll(async () => {
      ({ db, close } = await engine.open());
      services = servicesOn(db, { lanes: engine.lanes });
    });
    afterAll(async () => {
      await close?.();
    });

    it('fails a poisoned send alone and commits the rest of its batch, each retry answered with the first message', async () => {
      const direct = (await services.chats.create('pb-a', { type: 'direct', memberIds: ['pb-b'] })).chat;
      const group = (await services.chats.create('pb-a', { type: 'group', title: 'g', memberIds: ['pb-b'] })).chat;
      const channel = (await services.chats.create('pb-a', { type: 'channel', title: 'c', memberIds: ['pb-c'] })).chat;
      const elsewhere = await services.messages.send('pb-a', { chatId: group.id as ChatId, clientMsgId: 'g1', text: 'in the group' });
      const send = (userId: string, chatId: string, clientMsgId: string, text: string, replyToId?: string) =>
        services.messages.send(userId, { chatId: chatId as ChatId, clientMsgId, text, ...(replyToId ? { replyToId: replyToId as MessageId } : {}) });
      // Submitted in one turn of the event loop: they share a batch.
      const outcomes = await Promise.allSettled([
        send('pb-a', direct.id, 'k1', 'first'),
        send('pb-c', direct.id, 'k2', 'not a member'),
        send('pb-c', channel.id, 'k3', 'a subscriber may not post'),
        send('pb-a', direct.id, 'k4', 'a reply to another chat', elsewhere.message.id),
        send('pb-a', direct.id, 'k5', 'a lone surrogate \ud800 PostgreSQL refuses in JSON'),
        send('pb-b', direct.id, 'k6', 'second'),
        send('pb-a', direct.id, 'k1', 'first, retried in the same batch'),
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
      const history = await services.messages.list('pb-a', direct.id, { after: 0 });
      expect(history.map((message) => message.text)).toEqual(['first', 'second']);
      const seqs = await logSeqs(db, direct.id);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
    });

    it('keeps every log gap-free, stores each clientMsgId once and feeds each user exactly their visible log under concurrent batches', async () => {
      const USERS = 4;
      const op = fc.oneof(
        { arbitrary: fc.record({ op: fc.constant('send' as const), user: fc.nat(USERS - 1), chat: fc.nat(2) }), weight: 6 },
        { arbitrary: fc.record({ op: fc.constant('retry' as const), user: fc.nat(USERS - 1), chat: fc.nat(2) }), weight: 3 },
        { arbitrary: fc.record({ op: fc.constant('edit' as const), user: fc.nat(USERS - 1), chat: fc.nat(2) }), weight: 1 },
        { arbitrary: fc.record({ op: fc.constant('delete' as const), user: fc.nat(USERS - 1), chat: fc.nat(2) }), weight: 1 },
        { arbitrary: fc.record({ op: fc.constant('join' as const), user: fc.nat(USERS - 1), chat: fc.integer({ min: 1, max: 2 }) }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('leave' as const), user: fc.nat(USERS - 1), chat: fc.integer({ min: 1, max: 2 }) }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('read' as const), user: fc.nat(USERS - 1), chat: fc.nat(2) }), weight: 2 },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 5 }), async (rounds) => {
          run += 1;
          const users = Array.from({ length: USERS }, (_, index) => `cb-${engine.name}-${run}-${index}`);
          const startId = await lastOutboxId(db);
          const chats = [
            (await services.chats.create(users[0]!, { type: 'direct', memberIds: [users[1]!] })).chat,
            (await services.chats.create(users[0]!, { type: 'group', title: 'g', memberIds: [users[1]!, users[2]!] })).chat,
            (await services.chats.create(users[0]!, { type: 'channel', title: 'c', memberIds: [users[3]!] })).chat,
          ];
          const taken: { user: string; cursor: string; outboxId: number }[] = [];
          const sentBy = new Map<string, string>();
          let step = 0;
          for (const round of rounds) {
            const outboxId = await lastOutboxId(db);
            for (const user of users) taken.push({ user, cursor: (await services.feed.changesSince(user, null)).cursor, outboxId });
            await Promise.all(
              round.map(async ({ op: kind, user: userIndex, chat: chatIndex }) => {
                step += 1;
                const user = users[userIndex]!;
                const chat = chats[chatIndex]!;
                try {
                  if (kind === 'send' || kind === 'retry') {
                    // A retry reuses the clientMsgId of this user's first send in the chat, possibly still in flight.
                    const clientMsgId = kind === 'retry' ? `first-${chat.id}` : sentBy.has(`${user}|${chat.id}`) ? `s${step}` : `first-${chat.id}`;
                    sentBy.set(`${user}|${chat.id}`, clientMsgId);
                    const { message } = await services.messages.send(user, { chatId: chat.id as ChatId, clientMsgId, text: `text ${step}` });
                    const key = `${user}|${chat.id}|${clientMsgId}`;
                    const known = sentBy.get(key);
                    if (known !== undefined) expect(message.id).toBe(known);
                    sentBy.set(key, message.id);
                  } else {
                    await applyChange(services, kind, user, chat, users[0]!, step);
                  }
                } catch (error) {
                  if (!(error instanceof KaifError)) throw error;
                }
              }),
            );
          }
          for (const chat of chats) {
            const seqs = await logSeqs(db, chat.id);
            expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
            const messages = await sql<{ n: number; distinct_ids: number }>`
              select count(*)::int as n, count(distinct (sender_id, client_msg_id))::int as distinct_ids
              from messaging.messages where chat_id = ${chat.id}`.execute(db.kysely());
            expect(messages.rows[0]!.n).toBe(messages.rows[0]!.distinct_ids);
          }
          const live = await liveEventsAfter(db, startId);
          const model = new VisibilityModel();
          const audiences = live.map(({ event }) => model.audienceOf(event));
          for (const { user, cursor, outboxId } of taken) {
            const expected = live.filter(({ id }, index) => id > outboxId && audiences[index]!.has(user)).map(({ event }) => event);
            const events: ChatEvent[] = [];
            let at = cursor;
            for (let page = 0; page < 100; page++) {
              const next = await services.feed.changesSince(user, at, 7);
              events.push(...next.events);
              at = next.cursor;
              if (!next.hasMore) break;
            }
            expect(perChat(events)).toEqual(perChat(expected));
            expect(events.map(eventKey).sort()).toEqual(expected.map(eventKey).sort());
            let followed = cursor;
            for (const { event } of live.filter(({ id }) => id > outboxId)) {
              const result = services.api.followEvent(user as UserId, followed, event);
              expect(result.kind).not.toBe('gap');
              if (result.kind === 'next') followed = result.cursor;
            }
            expect((await services.feed.changesSince(user, followed)).events).toEqual([]);
          }
        }),
        { numRuns: engine.name === 'PGlite' ? 25 : 40 },
      );
    }, 240_000);
  });
}

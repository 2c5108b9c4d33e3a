import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatId, UserId } from '@kaif/protocol';
import type { ChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import type { MessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { KaifError } from '../../packages/server/src/platform/http/kaif-error.js';
import { openMigratedPglite } from '../support/pglite-template.js';
import { VisibilityModel, applyChange, eventKey, lastOutboxId, liveEventsAfter, perChat, servicesOn } from './feed-harness.js';

const USERS = 3;
const CHATS = 3;

const operation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('send' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('edit' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('join' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('leave' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('read' as const), user: fc.nat(USERS - 1), chat: fc.nat(CHATS - 1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('cursor' as const), user: fc.nat(USERS - 1), chat: fc.constant(0) }), weight: 3 },
);

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

interface TakenCursor {
  readonly user: string;
  readonly cursor: string;
  readonly outboxId: number;
}

describe('the change feed (property)', () => {
  let db: Database;
  let services: MessagingServices;
  let run = 0;
  beforeAll(async () => {
    db = await openMigratedPglite();
    services = servicesOn(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  /** Runs the operations on a direct chat, a group and a channel; returns the cursors taken along the way. */
  async function play(operations: readonly Operation[]): Promise<{ users: string[]; taken: TakenCursor[]; startId: number }> {
    run += 1;
    const users = Array.from({ length: USERS }, (_, index) => `user-${run}-${index}`);
    const startId = await lastOutboxId(db);
    const direct = await services.chats.create(users[0]!, { type: 'direct', memberIds: [users[1]!] });
    const group = await services.chats.create(users[0]!, { type: 'group', title: 'g', memberIds: [users[1]!] });
    const channel = await services.chats.create(users[0]!, { type: 'channel', title: 'c', memberIds: [users[2]!] });
    const chats = [direct.chat, group.chat, channel.chat];
    const taken: TakenCursor[] = users.map(() => ({ user: '', cursor: '', outboxId: startId }));
    taken.length = 0;
    let step = 0;
    for (const { op, user: userIndex, chat: chatIndex } of operations) {
      step += 1;
      const user = users[userIndex]!;
      const chat = chats[chatIndex]!;
      try {
        if (op === 'send') {
          await services.messages.send(user, { chatId: chat.id as ChatId, clientMsgId: `s${step}`, text: `text ${step}` });
        } else if (op !== 'cursor') {
          await applyChange(services, op, user, chat, users[0]!, step);
        } else {
          const page = await services.feed.changesSince(user, null);
          taken.push({ user, cursor: page.cursor, outboxId: await lastOutboxId(db) });
        }
      } catch (error) {
        if (!(error instanceof KaifError)) throw error;
      }
    }
    return { users, taken, startId };
  }

  async function drain(user: string, cursor: string, pageSize: number): Promise<{ events: ChatEvent[]; cursor: string }> {
    const events: ChatEvent[] = [];
    let at = cursor;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await services.feed.changesSince(user, at, pageSize);
      events.push(...page.events);
      at = page.cursor;
      if (!page.hasMore) return { events, cursor: at };
    }
    throw new Error('the feed did not end');
  }

  it('drains from any cursor exactly the suffix of the user’s visible log, and following live events agrees', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (operations, pageSize) => {
        const { users, taken, startId } = await play(operations);
        const live = await liveEventsAfter(db, startId);
        const model = new VisibilityModel();
        const audiences = live.map(({ event }) => model.audienceOf(event));
        live.forEach(({ event }, index) => {
          const positioned = Object.keys(event.positions ?? {});
          // Direct chats fan out on write; in groups and channels an event
          // names at most the one member it moves in or out of the chat.
          if (event.chatType === 'direct') expect(new Set(positioned)).toEqual(audiences[index]);
          else expect(positioned.length).toBeLessThanOrEqual(1);
          for (const userId of positioned) expect(audiences[index]!.has(userId)).toBe(true);
        });
        for (const user of users) {
          const first = await services.feed.changesSince(user, null);
          expect(first.events).toEqual([]);
        }
        for (const { user, cursor, outboxId } of taken) {
          const expected = live.filter(({ id }, index) => id > outboxId && audiences[index]!.has(user)).map(({ event }) => event);
          const drained = await drain(user, cursor, pageSize);
          const drainedKeys = drained.events.map(eventKey);
          expect(new Set(drainedKeys).size).toBe(drainedKeys.length);
          expect(perChat(drained.events)).toEqual(perChat(expected));
          expect([...drainedKeys].sort()).toEqual(expected.map(eventKey).sort());

          const position = await services.api.feedPosition(user as UserId, cursor);
          const seenLive = [];
          for (const { event } of live.filter(({ id }) => id > outboxId)) {
            const kind = position.follow(user as UserId, event);
            expect(kind).not.toBe('gap');
            if (kind === 'next') {
              seenLive.push(event);
              // Every other event the cursor is written against a newly stored base: resuming from either form is exact.
              if (seenLive.length % 2 === 1) await services.api.rebaseFeedPosition(user as UserId, position);
            }
          }
          const followed = position.cursor;
          expect(seenLive.map(eventKey)).toEqual(expected.map(eventKey));
          expect((await services.feed.changesSince(user, followed)).events).toEqual([]);
          expect((await services.feed.changesSince(user, drained.cursor)).events).toEqual([]);
        }
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});

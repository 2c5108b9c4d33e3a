import { UPDATES_MAX_LIMIT } from '@kaif/protocol';
import type { ChatId } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import type { MessagingServices } from '../../packages/server/src/modules/messaging/messaging-services.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openMigratedPglite } from '../support/pglite-template.js';
import { servicesOn } from './feed-harness.js';

const DIRECT = 1000;
const GROUPS = 1000;
const MISSED = 10_000;

/**
 * A user in 2,000 chats (1,000 direct, fanned out on write; 1,000 groups,
 * read from their logs) comes back after 10,000 messages: the catch-up must
 * hold exactly those, each chat's in order, and say how long it took.
 */
describe('catch-up for a user in 2,000 chats', () => {
  let db: Database;
  let services: MessagingServices;
  const chats: string[] = [];
  beforeAll(async () => {
    db = await openMigratedPglite();
    services = servicesOn(db);
    for (let index = 0; index < DIRECT; index++) {
      chats.push((await services.chats.create('busy', { type: 'direct', memberIds: [`peer-${index}`] })).chat.id);
    }
    for (let index = 0; index < GROUPS; index++) {
      chats.push((await services.chats.create(`owner-${index}`, { type: 'group', title: `g${index}`, memberIds: ['busy'] })).chat.id);
    }
  }, 300_000);
  afterAll(async () => {
    await db?.close();
  });

  it(`returns exactly the ${MISSED.toLocaleString('en-US')} missed messages, in order per chat`, { timeout: 300_000 }, async () => {
    const { cursor } = await services.feed.changesSince('busy', null);
    const sent = new Map<string, number[]>();
    let sends: Promise<unknown>[] = [];
    for (let index = 0; index < MISSED; index++) {
      // Waves of 1,000: the batcher refuses what it has no room for.
      if (sends.length === 1000) {
        await Promise.all(sends);
        sends = [];
      }
      const chatIndex = (index * 7919) % chats.length;
      const chatId = chats[chatIndex]!;
      const sender = chatIndex < DIRECT ? `peer-${chatIndex}` : `owner-${chatIndex - DIRECT}`;
      sends.push(
        services.messages.send(sender, { chatId: chatId as ChatId, clientMsgId: `m${index}`, text: `missed ${index}` }).then(({ message }) => {
          sent.set(chatId, [...(sent.get(chatId) ?? []), message.seq]);
        }),
      );
    }
    await Promise.all(sends);

    const started = performance.now();
    const events: ChatEvent[] = [];
    let at = cursor;
    let pages = 0;
    for (;;) {
      const page = await services.feed.changesSince('busy', at, UPDATES_MAX_LIMIT);
      events.push(...page.events);
      at = page.cursor;
      pages += 1;
      if (!page.hasMore) break;
    }
    const ms = performance.now() - started;
    console.info(`catch-up: ${events.length} events in ${pages} pages, ${Math.round(ms)} ms (cursor ${cursor.length} bytes)`);

    expect(events.every((event) => event.type === 'message.new')).toBe(true);
    expect(events).toHaveLength(MISSED);
    const received = new Map<string, number[]>();
    for (const event of events) received.set(event.chatId, [...(received.get(event.chatId) ?? []), event.seq]);
    for (const [chatId, seqs] of sent) expect(received.get(chatId), chatId).toEqual([...seqs].sort((a, b) => a - b));
    expect((await services.feed.changesSince('busy', at)).events).toEqual([]);
  });
});

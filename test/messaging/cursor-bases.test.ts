import type { ChatId, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import { BASES_KEPT_PER_USER, BASES_MAX_PER_USER, CHAIN_MAX_DEPTH } from '../../packages/server/src/modules/messaging/cursor-bases.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { lastOutboxId, liveEventsAfter, servicesOn } from './feed-harness.js';
import { MESSAGING_ENGINES } from './messaging-engines.js';

for (const engine of MESSAGING_ENGINES) {
  describe.runIf(engine.available())(`cursor bases (${engine.name})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let services: ReturnType<typeof servicesOn>;
    beforeAll(async () => {
      ({ db, close } = await engine.open());
      services = servicesOn(db);
    });
    afterAll(async () => {
      await close?.();
    });

    const send = (user: string, chatId: string, text: string) =>
      services.messages.send(user, { chatId: chatId as ChatId, clientMsgId: text, text });

    it('keeps a busy user’s bases as short deltas, resolvable through chains past a full snapshot, until they expire', async () => {
      const busy = 'feed-chain' as UserId;
      const groups: string[] = [];
      for (let i = 0; i < 40; i++) groups.push((await services.chats.create(busy, { type: 'group', title: `g${i}`, memberIds: ['feed-peer'] })).chat.id);
      const texts = (events: readonly { data: unknown }[]) => events.map((e) => (e.data as { text: string }).text);
      const position = await services.api.feedPosition(busy, (await services.feed.changesSince(busy, null)).cursor);
      await services.api.rebaseFeedPosition(busy, position);
      const first = position.cursor;
      // One group moves between rebases, past the length of a chain.
      for (let i = 0; i <= CHAIN_MAX_DEPTH + 4; i++) {
        const outbox = await lastOutboxId(db);
        await send('feed-peer', groups[i % groups.length]!, `live ${i}`);
        const [{ event }] = (await liveEventsAfter(db, outbox)) as [{ id: number; event: LiveChatEvent }];
        expect(position.follow(busy, event)).toBe('next');
        await services.api.rebaseFeedPosition(busy, position);
      }
      const { rows } = await sql<{ depth: number; bytes: number }>`
        select depth, octet_length(channels::text) as bytes from messaging.feed_cursor_bases where user_id = ${busy} order by id`.execute(db.kysely());
      expect(rows.map((row) => row.depth)).toEqual([...Array.from({ length: CHAIN_MAX_DEPTH + 1 }, (_, i) => i), 0, 1, 2, 3, 4]);
      // A link names the one group that moved; a snapshot names all 40.
      expect(Math.max(...rows.filter((row) => row.depth > 0).map((row) => row.bytes))).toBeLessThan(rows[0]!.bytes / 20);
      await send('feed-peer', groups[39]!, 'missed');
      // Every cursor written along the way resumes exactly: the first one through a whole chain, the last through a new one.
      // (Sorted: the order across chats is not promised.)
      expect(texts((await services.feed.changesSince(busy, first)).events).sort()).toEqual(
        [...Array.from({ length: CHAIN_MAX_DEPTH + 5 }, (_, i) => `live ${i}`), 'missed'].sort(),
      );
      expect(texts((await services.feed.changesSince(busy, position.cursor)).events)).toEqual(['missed']);
      // Once older than the retention and beyond the newest few, a base goes, and the chains written on it with it.
      await sql`update messaging.feed_cursor_bases set created_at = now() - interval '31 days' where user_id = ${busy}`.execute(db.kysely());
      await services.api.rebaseFeedPosition(busy, position);
      // Written on a link of an expired chain: the chain stays while this base is kept.
      const onExpiredChain = position.cursor;
      for (let i = 1; i < BASES_KEPT_PER_USER; i++) await services.api.rebaseFeedPosition(busy, position);
      await expect(services.feed.changesSince(busy, first)).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
      for (const cursor of [onExpiredChain, position.cursor]) expect(texts((await services.feed.changesSince(busy, cursor)).events)).toEqual(['missed']);
      const { rows: kept } = await sql<{ n: number }>`select count(*)::int as n from messaging.feed_cursor_bases where user_id = ${busy}`.execute(db.kysely());
      expect(kept[0]!.n).toBeLessThanOrEqual(BASES_KEPT_PER_USER + CHAIN_MAX_DEPTH);
    });

    it('keeps no more than BASES_MAX_PER_USER bases of a client that rebases in a loop, however young', async () => {
      const looping = 'feed-loop' as UserId;
      for (let i = 0; i < 10; i++) await services.chats.create(looping, { type: 'group', title: `g${i}`, memberIds: ['feed-peer'] });
      const position = await services.api.feedPosition(looping, (await services.feed.changesSince(looping, null)).cursor);
      for (let i = 0; i < BASES_MAX_PER_USER + CHAIN_MAX_DEPTH * 2; i++) await services.api.rebaseFeedPosition(looping, position);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from messaging.feed_cursor_bases where user_id = ${looping}`.execute(db.kysely());
      expect(rows[0]!.n).toBeGreaterThanOrEqual(BASES_MAX_PER_USER);
      expect(rows[0]!.n).toBeLessThanOrEqual(BASES_MAX_PER_USER + CHAIN_MAX_DEPTH);
      expect((await services.feed.changesSince(looping, position.cursor)).events).toEqual([]);
    });
  });
}

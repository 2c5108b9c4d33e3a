import type { ChatId, UserId } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import { encodeCursor } from '../../packages/server/src/modules/messaging/feed-cursor.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openMigratedPglite } from '../support/pglite-template.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signUp } from './chat-client.js';
import { lastOutboxId, liveEventsAfter, servicesOn } from './feed-harness.js';

describe('the change feed', () => {
  let db: Database;
  let services: ReturnType<typeof servicesOn>;
  beforeAll(async () => {
    db = await openMigratedPglite();
    services = servicesOn(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  const send = (user: string, chatId: string, text: string) =>
    services.messages.send(user, { chatId: chatId as ChatId, clientMsgId: text, text });

  it('starts from null with no events and a cursor that yields only what follows', async () => {
    const { chat } = await services.chats.create('feed-a1', { type: 'direct', memberIds: ['feed-b1'] });
    await send('feed-a1', chat.id, 'before');
    const start = await services.feed.changesSince('feed-b1', null);
    expect(start).toMatchObject({ events: [], hasMore: false });
    await send('feed-a1', chat.id, 'after');
    const page = await services.feed.changesSince('feed-b1', start.cursor);
    expect(page.events.map((event) => (event.data as { text: string }).text)).toEqual(['after']);
  });

  it('rejects a malformed cursor and one beyond the user’s feed with CURSOR_INVALID', async () => {
    for (const cursor of ['not a cursor!', 'e30', Buffer.from('{"v":1,"p":0,"c":{}}').toString('base64url')]) {
      await expect(services.feed.changesSince('feed-a1', cursor)).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    }
    await expect(services.feed.changesSince('feed-a1', encodeCursor({ pts: 10_000, channels: {} }))).rejects.toMatchObject({
      code: 'CURSOR_INVALID',
    });
  });

  it('writes a busy user’s live cursor against a stored base, resumes from it exactly, and refuses a base not theirs', async () => {
    const busy = 'feed-busy' as UserId;
    const groups: string[] = [];
    for (let i = 0; i < 40; i++) groups.push((await services.chats.create(busy, { type: 'group', title: `g${i}`, memberIds: ['feed-peer'] })).chat.id);
    const start = await services.feed.changesSince(busy, null);
    const position = await services.api.feedPosition(busy, start.cursor);
    expect(position.wantsBase).toBe(true);
    await services.api.rebaseFeedPosition(busy, position);
    const outbox = await lastOutboxId(db);
    await send('feed-peer', groups[3]!, 'live');
    const [{ event }] = (await liveEventsAfter(db, outbox)) as [{ id: number; event: LiveChatEvent }];
    expect(position.follow(busy, event)).toBe('next');
    // 40 groups' seqs travel in the stored base; the frame's cursor names the one that moved.
    expect(position.cursor.length).toBeLessThan(start.cursor.length / 10);
    await send('feed-peer', groups[7]!, 'missed');
    const page = await services.feed.changesSince(busy, position.cursor);
    expect(page.events.map((e) => (e.data as { text: string }).text)).toEqual(['missed']);
    expect(page.cursor.length).toBeLessThan(start.cursor.length / 10);
    expect((await services.feed.changesSince(busy, page.cursor)).events).toEqual([]);
    await expect(services.feed.changesSince('feed-peer', page.cursor)).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('shows a member’s read marker to the other members of a group as a read receipt', async () => {
    const { chat } = await services.chats.create('feed-a2', { type: 'group', title: 'g', memberIds: ['feed-b2'] });
    const message = await send('feed-a2', chat.id, 'read me');
    const start = await services.feed.changesSince('feed-a2', null);
    const outbox = await lastOutboxId(db);
    await services.messages.markRead('feed-b2', chat.id, message.message.seq);
    expect((await services.feed.changesSince('feed-a2', start.cursor)).events).toEqual([
      expect.objectContaining({ type: 'chat.read', data: { userId: 'feed-b2', seq: message.message.seq } }),
    ]);
    const [{ event }] = (await liveEventsAfter(db, outbox)) as [{ id: number; event: LiveChatEvent }];
    expect(event).toMatchObject({ type: 'chat.read', chatType: 'group' });
    expect(event.onlyFor).toBeUndefined();
    // Groups are read from their log: the receipt names no member positions.
    expect(event.positions).toBeUndefined();
    expect(event.previousSeq).toBe(message.message.seq);
    expect((await services.api.feedPosition('feed-a2' as UserId, start.cursor)).follow('feed-a2' as UserId, event)).toBe('next');
  });

  it('starts a channel joined after the cursor at the join, without earlier posts', async () => {
    const { chat } = await services.chats.create('feed-owner', { type: 'channel', title: 'c' });
    await send('feed-owner', chat.id, 'old news');
    const start = await services.feed.changesSince('feed-late', null);
    await services.members.join('feed-late', chat.id);
    await send('feed-owner', chat.id, 'fresh news');
    const page = await services.feed.changesSince('feed-late', start.cursor);
    expect(page.events.map((event) => [event.type, (event.data as { text?: string }).text ?? null])).toEqual([
      ['chat.member', null],
      ['message.new', 'fresh news'],
    ]);
  });

  it('publishes channel posts without per-subscriber positions and with the previous subscriber-wide seq', async () => {
    const { chat } = await services.chats.create('feed-owner2', { type: 'channel', title: 'c', memberIds: ['feed-sub2'] });
    const outbox = await lastOutboxId(db);
    await services.messages.markRead('feed-sub2', chat.id, 1);
    await send('feed-owner2', chat.id, 'post');
    const events = (await liveEventsAfter(db, outbox)).map(({ event }) => event);
    expect(events[0]).toMatchObject({ type: 'chat.read', onlyFor: ['feed-sub2'], positions: { 'feed-sub2': expect.any(Number) } });
    expect(events[1]).toMatchObject({ type: 'message.new', chatType: 'channel', previousSeq: 0, seq: events[0]!.seq + 1 });
    expect(events[1]!.positions).toBeUndefined();
  });
});

describe('the change feed over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves GET /api/v1/updates from a cursor and rejects a bad one', async () => {
    const [ana, bo] = [await signUp(server), await signUp(server)];
    const start = await bo.call<{ cursor: string; events: unknown[] }>('GET', '/updates');
    expect(start.body.events).toEqual([]);
    const direct = await ana.createChat({ type: 'direct', memberIds: [bo.id] });
    await ana.send(direct.id, 'ping');
    const page = await bo.call<{ events: { type: string; chatId: string }[]; hasMore: boolean }>(
      'GET',
      `/updates?cursor=${start.body.cursor}&limit=10`,
    );
    expect(page.body.events.map((event) => event.type)).toEqual(['chat.member', 'message.new']);
    expect(page.body.hasMore).toBe(false);
    expect((await bo.call('GET', '/updates?cursor=garbage')).body).toMatchObject({ error: { code: 'CURSOR_INVALID' } });
  });
});

import type { MessageSearchPage } from '@kaif/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { type ChatClient, ENGINE_SETS, signUp } from '../messaging/chat-client.js';

for (const engines of ENGINE_SETS) {
  describe(`message search (${engines})`, () => {
    let server: TestServer;
    let ana: ChatClient;
    let bo: ChatClient;
    let cy: ChatClient;
    beforeAll(async () => {
      server = await startTestServer({ engines });
      [ana, bo, cy] = await Promise.all([signUp(server), signUp(server), signUp(server)]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const search = async (who: ChatClient, params: Record<string, string | number>) => {
      const query = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]));
      return who.call<MessageSearchPage>('GET', `/search/messages?${query}`);
    };
    const found = async (who: ChatClient, q: string, params: Record<string, string | number> = {}) => {
      const answer = await search(who, { q, ...params });
      expect(answer.status).toBe(200);
      return answer.body.messages.map((message) => message.text);
    };
    const newGroup = (members: ChatClient[] = [bo]) =>
      ana.createChat({ type: 'group', title: 'Search', memberIds: members.map((member) => member.id) });

    it('finds Russian and English words in other forms, and the word being typed by its prefix', async () => {
      const group = await newGroup();
      await ana.send(group.id, 'Новое сообщение от команды');
      await ana.send(group.id, 'She runs every morning');
      await ana.send(group.id, 'I got your message yesterday');
      await ana.send(group.id, 'Unrelated chatter');
      expect(await found(bo, 'сообщения', { chatId: group.id })).toEqual(['Новое сообщение от команды']);
      expect(await found(bo, 'running', { chatId: group.id })).toEqual(['She runs every morning']);
      expect(await found(bo, 'mess', { chatId: group.id })).toEqual(['I got your message yesterday']);
      expect(await found(bo, 'MESSAGE yest', { chatId: group.id })).toEqual(['I got your message yesterday']);
      expect(await found(bo, 'сообщ', { chatId: group.id })).toEqual(['Новое сообщение от команды']);
      expect(await found(bo, '?!', { chatId: group.id })).toEqual([]);
      const [hit] = (await search(bo, { q: 'сообщения' })).body.messages;
      expect(hit!.snippet.slice(hit!.highlights[0]!.start, hit!.highlights[0]!.end)).toBe('сообщение');
    });

    it('returns the chat, a snippet and where the words found are in it', async () => {
      const group = await newGroup();
      const sent = await ana.send(group.id, 'Meet at the harbour, bring the harbour map & <b>snacks</b>');
      const answer = await search(bo, { q: 'harbour' });
      const [hit] = answer.body.messages;
      expect(hit).toMatchObject({ id: sent.id, chatId: group.id, senderId: ana.id, seq: sent.seq, text: sent.text });
      expect(hit!.snippet).toContain('<b>snacks</b>');
      expect(hit!.highlights.map(({ start, end }) => hit!.snippet.slice(start, end))).toEqual(['harbour', 'harbour']);
    });

    it('ranks the better match first', async () => {
      const group = await newGroup();
      await ana.send(group.id, 'lighthouse once, then a long story about nothing in particular at all');
      const best = await ana.send(group.id, 'lighthouse lighthouse lighthouse');
      expect((await found(bo, 'lighthouse'))[0]).toBe(best.text);
    });

    it('finds nothing of a chat the caller is not in, nor after leaving it', async () => {
      const group = await newGroup([bo]);
      await ana.send(group.id, 'zanzibar canary for members only');
      const channel = await ana.createChat({ type: 'channel', title: 'Broadcast' });
      await ana.send(channel.id, 'zanzibar channel canary');
      expect(await found(cy, 'zanzibar')).toEqual([]);
      expect((await search(cy, { q: 'zanzibar', chatId: group.id })).body).toMatchObject({ error: { code: 'CHAT_NOT_FOUND' } });
      expect(await found(bo, 'zanzibar')).toEqual(['zanzibar canary for members only']);
      expect((await bo.call('POST', `/chats/${group.id}/leave`)).status).toBe(204);
      expect(await found(bo, 'zanzibar')).toEqual([]);
      expect((await cy.call('POST', `/chats/${channel.id}/join`)).status).toBeLessThan(300);
      expect(await found(cy, 'zanzibar')).toEqual(['zanzibar channel canary']);
    });

    it('never finds a secret chat\'s text, a kind of chat search does not list', async () => {
      // No secret chats exist yet; this one is made by hand, as a future kind would store it.
      const db = server.adapters.db.kysely<unknown>();
      const chatId = '00000000-0000-4000-8000-00000000000e';
      await sql`alter table messaging.chats drop constraint if exists chats_type_check`.execute(db);
      await sql`
        insert into messaging.chats (id, type, member_count, last_seq, last_broadcast_seq, created_by, created_at)
        values (${chatId}, 'secret', 1, 1, 1, ${ana.id}, now())`.execute(db);
      await sql`insert into messaging.members (chat_id, user_id, role, joined_at) values (${chatId}, ${ana.id}, 'owner', now())`.execute(db);
      await sql`
        insert into messaging.messages (id, chat_id, seq, sender_id, client_msg_id, text, created_at)
        values (gen_random_uuid(), ${chatId}, 1, ${ana.id}, 'secret-1', 'xylophone secret canary', now())`.execute(db);
      expect(await found(ana, 'xylophone')).toEqual([]);
      expect(await found(ana, 'canary')).not.toContain('xylophone secret canary');
    });

    it('reflects an edit and a delete at once, and keeps nothing of a deleted text', async () => {
      const group = await newGroup();
      const sent = await ana.send(group.id, 'the walrus plan');
      expect((await ana.call('PATCH', `/chats/${group.id}/messages/${sent.id}`, { text: 'the pelican plan' })).status).toBe(200);
      expect(await found(bo, 'walrus')).toEqual([]);
      expect(await found(bo, 'pelican')).toEqual(['the pelican plan']);
      expect((await ana.call('DELETE', `/chats/${group.id}/messages/${sent.id}`)).status).toBe(204);
      expect(await found(bo, 'pelican')).toEqual([]);
      const stored = await sql<{ text: string | null; search: string | null }>`
        select text, search::text as search from messaging.messages where id = ${sent.id}`.execute(server.adapters.db.kysely<unknown>());
      expect(stored.rows).toEqual([{ text: null, search: null }]);
    });

    it('filters by chat, sender and date, and pages without repeats', async () => {
      const [one, two] = await Promise.all([newGroup(), newGroup()]);
      const startedAt = new Date(Date.now() - 1000).toISOString();
      for (let n = 0; n < 5; n++) await ana.send(one.id, `quokka note ${n}`);
      await bo.send(one.id, 'quokka from bo');
      await ana.send(two.id, 'quokka elsewhere');
      expect(await found(bo, 'quokka', { chatId: two.id })).toEqual(['quokka elsewhere']);
      expect(await found(ana, 'quokka', { senderId: bo.id })).toEqual(['quokka from bo']);
      expect(await found(ana, 'quokka', { before: startedAt })).toEqual([]);
      expect(await found(ana, 'quokka', { after: startedAt })).toHaveLength(7);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const answer = await search(ana, { q: 'quokka', limit: 3, ...(cursor ? { cursor } : {}) });
        expect(answer.body.messages.length).toBeLessThanOrEqual(3);
        seen.push(...answer.body.messages.map((message) => message.id));
        cursor = answer.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
    });

    it('refuses a malformed request with a coded error', async () => {
      expect((await search(ana, { q: '' })).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      expect((await search(ana, { q: 'x', limit: 500 })).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      expect((await search(ana, { q: 'x', before: 'yesterday' })).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      expect((await search(ana, { q: 'x', cursor: 'bm9wZQ' })).body).toMatchObject({ error: { code: 'CURSOR_INVALID' } });
      expect((await search(ana, { q: "a:* & !b | 'c'" })).status).toBe(200);
    });
  });
}

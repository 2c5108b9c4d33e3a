import type { MessageView } from '@kaif/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { type ChatClient, ENGINE_SETS, signUp } from './chat-client.js';

type Messages = { messages: MessageView[] };

for (const engines of ENGINE_SETS) {
  describe(`messages (${engines})`, () => {
    let server: TestServer;
    let ana: ChatClient;
    let bo: ChatClient;
    beforeAll(async () => {
      server = await startTestServer({ engines });
      [ana, bo] = await Promise.all([signUp(server), signUp(server)]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const newGroup = () => ana.createChat({ type: 'group', title: 'Messages', memberIds: [bo.id] });

    it('sends a message with the next seq of the chat log', async () => {
      const group = await newGroup();
      const sent = await ana.call<MessageView>('POST', `/chats/${group.id}/messages`, { clientMsgId: 'm1', text: 'hello' });
      expect(sent.status).toBe(201);
      expect(sent.body).toMatchObject({
        chatId: group.id,
        seq: group.lastSeq + 1,
        senderId: ana.id,
        text: 'hello',
        clientMsgId: 'm1',
        replyToId: null,
        editedAt: null,
        deleted: false,
        forwardedFrom: null,
      });
    });

    it('answers a retry with the same clientMsgId with the first message and stores it once', async () => {
      const group = await newGroup();
      const first = await ana.call<MessageView>('POST', `/chats/${group.id}/messages`, { clientMsgId: 'r', text: 'once' });
      const retry = await ana.call<MessageView>('POST', `/chats/${group.id}/messages`, { clientMsgId: 'r', text: 'once' });
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      const other = await bo.call<MessageView>('POST', `/chats/${group.id}/messages`, { clientMsgId: 'r', text: 'bo too' });
      expect(other.status).toBe(201);
      expect(other.body.seq).toBe(first.body.seq + 1);
    });

    it('stores concurrent retries of one send once and uses up no seq for the losers', async () => {
      const group = await newGroup();
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => ana.call<MessageView>('POST', `/chats/${group.id}/messages`, { clientMsgId: 'race', text: 'x' })),
      );
      expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
      const next = await ana.send(group.id, 'after the race');
      expect(next.seq).toBe(answers[0]!.body.seq + 1);
      const history = await ana.call<Messages>('GET', `/chats/${group.id}/messages`);
      expect(history.body.messages).toHaveLength(2);
    });

    it('accepts 1 to 4096 characters of text and rejects anything else naming the field', async () => {
      const group = await newGroup();
      const longest = '🙂'.repeat(4096);
      expect((await ana.call('POST', `/chats/${group.id}/messages`, { clientMsgId: 'l', text: longest })).status).toBe(201);
      for (const text of ['', 'a'.repeat(4097)]) {
        const answer = await ana.call('POST', `/chats/${group.id}/messages`, { clientMsgId: `t${text.length}`, text });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'text' } });
      }
    });

    it('accepts a reply only to a message of the same chat', async () => {
      const group = await newGroup();
      const other = await newGroup();
      const original = await ana.send(group.id, 'question');
      const elsewhere = await ana.send(other.id, 'elsewhere');
      const reply = await bo.call<MessageView>('POST', `/chats/${group.id}/messages`, {
        clientMsgId: 'rep',
        text: 'answer',
        replyToId: original.id,
      });
      expect(reply.body.replyToId).toBe(original.id);
      const foreign = await bo.call('POST', `/chats/${group.id}/messages`, { clientMsgId: 'rep2', text: 'x', replyToId: elsewhere.id });
      expect(foreign.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'replyToId' } });
    });

    it('lets only the sender edit, and marks the edit', async () => {
      const group = await newGroup();
      const message = await ana.send(group.id, 'draft');
      const byOther = await bo.call('PATCH', `/chats/${group.id}/messages/${message.id}`, { text: 'hacked' });
      expect(byOther.body).toMatchObject({ error: { code: 'MESSAGE_AUTHOR_REQUIRED' } });
      const edited = await ana.call<MessageView>('PATCH', `/chats/${group.id}/messages/${message.id}`, { text: 'final' });
      expect(edited.body).toMatchObject({ id: message.id, seq: message.seq, text: 'final' });
      expect(edited.body.editedAt).not.toBeNull();
    });

    it('deletes a message for its sender or an admin, leaving a tombstone and no text anywhere in storage', async () => {
      const group = await newGroup();
      const message = await bo.send(group.id, 'regrettable words');
      await bo.call('PATCH', `/chats/${group.id}/messages/${message.id}`, { text: 'still regrettable' });
      const ownerDeletes = await ana.call('DELETE', `/chats/${group.id}/messages/${message.id}`);
      expect(ownerDeletes.status).toBe(204);
      const history = await bo.call<Messages>('GET', `/chats/${group.id}/messages`);
      expect(history.body.messages[0]).toMatchObject({ id: message.id, deleted: true, text: null });
      const db = server.adapters.db.kysely<unknown>();
      const stored = await sql<{ n: number }>`
        select (select count(*) from messaging.messages where text like '%regrettable%')
             + (select count(*) from messaging.chat_events where payload::text like '%regrettable%') as n`.execute(db);
      expect(Number(stored.rows[0]!.n)).toBe(0);
      const log = await sql<{ type: string }>`
        select type from messaging.chat_events where message_id = ${message.id} order by seq`.execute(db);
      expect(log.rows.map((row) => row.type)).toEqual(['message.new', 'message.edited', 'message.deleted']);
      const other = await ana.send(group.id, 'mine');
      expect((await bo.call('DELETE', `/chats/${group.id}/messages/${other.id}`)).body).toMatchObject({
        error: { code: 'MESSAGE_AUTHOR_REQUIRED' },
      });
    });

    it('forwards a copy that names where it came from', async () => {
      const group = await newGroup();
      const direct = await bo.createChat({ type: 'direct', memberIds: [ana.id] });
      const original = await ana.send(group.id, 'worth sharing');
      const forward = { toChatId: direct.id, clientMsgId: 'fw1' };
      const copy = await bo.call<MessageView>('POST', `/chats/${group.id}/messages/${original.id}/forward`, forward);
      expect(copy.status).toBe(201);
      expect(copy.body).toMatchObject({
        chatId: direct.id,
        senderId: bo.id,
        text: 'worth sharing',
        forwardedFrom: { chatId: group.id, messageId: original.id, senderId: ana.id },
      });
      const again = await bo.call<MessageView>('POST', `/chats/${group.id}/messages/${original.id}/forward`, forward);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(copy.body.id);
    });

    it('pages history by seq both ways without gaps or overlaps while others send', async () => {
      const group = await newGroup();
      const sends = Array.from({ length: 60 }, (_, index) => (index % 2 ? ana : bo).send(group.id, `m${index}`));
      const pagesDuringSends: MessageView[][] = [];
      let before: number | undefined;
      for (let page = 0; page < 3; page++) {
        const query = before === undefined ? '?limit=7' : `?before=${before}&limit=7`;
        const answer = await ana.call<Messages>('GET', `/chats/${group.id}/messages${query}`);
        pagesDuringSends.push(answer.body.messages);
        before = answer.body.messages.at(-1)?.seq ?? before;
      }
      await Promise.all(sends);
      const newestFirst: MessageView[] = [];
      before = undefined;
      for (;;) {
        const query: string = before === undefined ? '?limit=9' : `?before=${before}&limit=9`;
        const { messages }: Messages = (await ana.call<Messages>('GET', `/chats/${group.id}/messages${query}`)).body;
        if (messages.length === 0) break;
        newestFirst.push(...messages);
        before = messages.at(-1)!.seq;
      }
      const oldestFirst: MessageView[] = [];
      let after = 0;
      for (;;) {
        const { messages } = (await ana.call<Messages>('GET', `/chats/${group.id}/messages?after=${after}&limit=11`)).body;
        if (messages.length === 0) break;
        oldestFirst.push(...messages);
        after = messages.at(-1)!.seq;
      }
      expect(oldestFirst).toHaveLength(60);
      expect(oldestFirst.map((message) => message.id)).toEqual(newestFirst.map((message) => message.id).reverse());
      const seqs = oldestFirst.map((message) => message.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(oldestFirst.map((message) => message.text)).size).toBe(60);
      for (const page of pagesDuringSends) {
        for (let index = 1; index < page.length; index++) expect(page[index]!.seq).toBeLessThan(page[index - 1]!.seq);
      }
      expect((await ana.call('GET', `/chats/${group.id}/messages?limit=101`)).status).toBe(400);
    });

    it('keeps the read marker monotonic and counts only messages from others after it', async () => {
      const group = await newGroup();
      const first = await ana.send(group.id, 'one');
      const second = await ana.send(group.id, 'two');
      await bo.send(group.id, 'my own');
      const unread = async () =>
        (await bo.call<{ chats: { id: string; unreadCount: number }[] }>('GET', '/chats')).body.chats.find(
          (chat) => chat.id === group.id,
        )!.unreadCount;
      expect(await unread()).toBe(2);
      await bo.call('POST', `/chats/${group.id}/read`, { seq: second.seq });
      expect(await unread()).toBe(0);
      await bo.call('POST', `/chats/${group.id}/read`, { seq: first.seq });
      expect(await unread()).toBe(0);
      const marker = await sql<{ read_seq: number }>`
        select read_seq from messaging.members where chat_id = ${group.id} and user_id = ${bo.id}`.execute(
        server.adapters.db.kysely<unknown>(),
      );
      expect(Number(marker.rows[0]!.read_seq)).toBe(second.seq);
    });
  });
}

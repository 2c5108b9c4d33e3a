import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatView } from '@kaif/protocol';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { type ChatClient, ENGINE_SETS, signUp } from './chat-client.js';

for (const engines of ENGINE_SETS) {
  describe(`chats and members (${engines})`, () => {
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

    it('creates a direct chat once per pair: a second create, either way round, returns it with 200', async () => {
      const first = await ana.call<ChatView>('POST', '/chats', { type: 'direct', memberIds: [bo.id] });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ type: 'direct', role: 'member', memberCount: 2, peerId: bo.id, lastSeq: 2 });
      const again = await bo.call<ChatView>('POST', '/chats', { type: 'direct', memberIds: [ana.id] });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.peerId).toBe(ana.id);
    });

    it('returns one chat to concurrent direct creates of the same pair', async () => {
      const [x, y] = [await signUp(server), await signUp(server)];
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () => x.call<ChatView>('POST', '/chats', { type: 'direct', memberIds: [y.id] })),
        ...Array.from({ length: 5 }, () => y.call<ChatView>('POST', '/chats', { type: 'direct', memberIds: [x.id] })),
      ]);
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
      expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    });

    it('requires exactly one existing peer for a direct chat', async () => {
      const none = await ana.call('POST', '/chats', { type: 'direct', memberIds: [] });
      expect(none.status).toBe(400);
      const unknown = await ana.call('POST', '/chats', { type: 'direct', memberIds: ['00000000-0000-4000-8000-000000000000'] });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
    });

    it('makes the creator owner of a group and lets owner and admins manage members', async () => {
      const group = await ana.createChat({ type: 'group', title: 'Lake crew', memberIds: [bo.id] });
      expect(group).toMatchObject({ type: 'group', role: 'owner', memberCount: 2, peerId: null, title: 'Lake crew' });
      const byMember = await bo.call('POST', `/chats/${group.id}/members`, { userId: cy.id });
      expect(byMember.body).toMatchObject({ error: { code: 'CHAT_ADMIN_REQUIRED' } });
      expect((await ana.call('POST', `/chats/${group.id}/members/${bo.id}/role`, { role: 'admin' })).status).toBe(200);
      const byAdmin = await bo.call<ChatView>('POST', `/chats/${group.id}/members`, { userId: cy.id });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.memberCount).toBe(3);
      expect((await cy.call<ChatView>('GET', `/chats/${group.id}`)).body.role).toBe('member');
      const renamed = await bo.call<ChatView>('PATCH', `/chats/${group.id}`, { title: 'Lake crew 2', description: 'the crew' });
      expect(renamed.body).toMatchObject({ title: 'Lake crew 2', description: 'the crew' });
      expect((await cy.call('PATCH', `/chats/${group.id}`, { title: 'mine' })).body).toMatchObject({
        error: { code: 'CHAT_ADMIN_REQUIRED' },
      });
      expect((await bo.call('DELETE', `/chats/${group.id}/members/${cy.id}`)).status).toBe(204);
      expect((await cy.call('GET', `/chats/${group.id}`)).status).toBe(404);
    });

    it('lets only the owner change roles, and an admin cannot remove another admin', async () => {
      const group = await ana.createChat({ type: 'group', title: 'Roles', memberIds: [bo.id, cy.id] });
      expect((await bo.call('POST', `/chats/${group.id}/members/${cy.id}/role`, { role: 'admin' })).body).toMatchObject({
        error: { code: 'CHAT_OWNER_REQUIRED' },
      });
      await ana.call('POST', `/chats/${group.id}/members/${bo.id}/role`, { role: 'admin' });
      await ana.call('POST', `/chats/${group.id}/members/${cy.id}/role`, { role: 'admin' });
      expect((await bo.call('DELETE', `/chats/${group.id}/members/${cy.id}`)).body).toMatchObject({
        error: { code: 'CHAT_OWNER_REQUIRED' },
      });
    });

    it('lets members leave a group and hands ownership on when the owner leaves', async () => {
      const group = await ana.createChat({ type: 'group', title: 'Leaving', memberIds: [bo.id, cy.id] });
      expect((await cy.call('POST', `/chats/${group.id}/leave`)).status).toBe(204);
      expect((await ana.call('POST', `/chats/${group.id}/leave`)).status).toBe(204);
      const left = await bo.call<ChatView>('GET', `/chats/${group.id}`);
      expect(left.body).toMatchObject({ role: 'owner', memberCount: 1 });
    });

    it('refuses to add members to or leave a direct chat', async () => {
      const direct = await ana.createChat({ type: 'direct', memberIds: [cy.id] });
      expect((await ana.call('POST', `/chats/${direct.id}/members`, { userId: bo.id })).body).toMatchObject({
        error: { code: 'CHAT_TYPE_MISMATCH' },
      });
      expect((await ana.call('POST', `/chats/${direct.id}/leave`)).body).toMatchObject({ error: { code: 'CHAT_TYPE_MISMATCH' } });
    });

    it('lets anyone join a channel and read it, but only owner and admins post', async () => {
      const channel = await ana.createChat({ type: 'channel', title: 'News' });
      const joined = await bo.call<ChatView>('POST', `/chats/${channel.id}/join`);
      expect(joined.body).toMatchObject({ type: 'channel', role: 'member', memberCount: 2 });
      await ana.send(channel.id, 'hello subscribers');
      const posted = await bo.call('POST', `/chats/${channel.id}/messages`, { clientMsgId: 'x', text: 'me too' });
      expect(posted.status).toBe(403);
      expect(posted.body).toMatchObject({ error: { code: 'CHAT_WRITE_FORBIDDEN' } });
      const history = await bo.call<{ messages: { text: string }[] }>('GET', `/chats/${channel.id}/messages`);
      expect(history.body.messages.map((message) => message.text)).toEqual(['hello subscribers']);
      expect((await bo.call('POST', `/chats/${channel.id}/leave`)).status).toBe(204);
      expect((await bo.call('GET', `/chats/${channel.id}/messages`)).status).toBe(404);
    });

    it('does not let anyone join a group by its id', async () => {
      const group = await ana.createChat({ type: 'group', title: 'Closed' });
      expect((await cy.call('POST', `/chats/${group.id}/join`)).body).toMatchObject({ error: { code: 'CHAT_NOT_FOUND' } });
    });

    it('answers an outsider exactly as for a chat that does not exist, on every chat endpoint', async () => {
      const group = await ana.createChat({ type: 'group', title: 'Private', memberIds: [bo.id] });
      const message = await ana.send(group.id, 'secret');
      const missing = '7d1b1a9e-8d3f-4c53-9a54-2a2f0b7f5a10';
      const probes: [string, (id: string) => string, unknown?][] = [
        ['GET', (id) => `/chats/${id}`],
        ['PATCH', (id) => `/chats/${id}`, { title: 'x' }],
        ['POST', (id) => `/chats/${id}/members`, { userId: cy.id }],
        ['DELETE', (id) => `/chats/${id}/members/${bo.id}`],
        ['POST', (id) => `/chats/${id}/members/${bo.id}/role`, { role: 'admin' }],
        ['POST', (id) => `/chats/${id}/leave`],
        ['POST', (id) => `/chats/${id}/messages`, { clientMsgId: 'p', text: 'hi' }],
        ['GET', (id) => `/chats/${id}/messages`],
        ['PATCH', (id) => `/chats/${id}/messages/${message.id}`, { text: 'x' }],
        ['DELETE', (id) => `/chats/${id}/messages/${message.id}`],
        ['POST', (id) => `/chats/${id}/messages/${message.id}/forward`, { toChatId: group.id, clientMsgId: 'f' }],
        ['POST', (id) => `/chats/${id}/read`, { seq: 1 }],
      ];
      for (const [method, path, body] of probes) {
        const outsider = await cy.call(method, path(group.id), body);
        const nowhere = await cy.call(method, path(missing), body);
        expect(outsider.status, `${method} ${path(':id')}`).toBe(404);
        expect(outsider.body, `${method} ${path(':id')}`).toEqual(nowhere.body);
        expect(outsider.body).toEqual({ error: { code: 'CHAT_NOT_FOUND', message: 'No such chat' } });
      }
    });

    it('lists my chats with the last message and unread count', async () => {
      const [dee, eve] = [await signUp(server), await signUp(server)];
      const direct = await dee.createChat({ type: 'direct', memberIds: [eve.id] });
      const group = await dee.createChat({ type: 'group', title: 'Two', memberIds: [eve.id] });
      await dee.send(direct.id, 'one');
      const two = await dee.send(direct.id, 'two');
      await eve.send(direct.id, 'mine');
      await dee.send(group.id, 'group hello');
      const list = await eve.call<{ chats: (ChatView & { lastMessage: { text: string } | null; unreadCount: number })[] }>(
        'GET',
        '/chats',
      );
      expect(list.status).toBe(200);
      const byId = new Map(list.body.chats.map((chat) => [chat.id, chat]));
      expect(byId.get(direct.id)).toMatchObject({ unreadCount: 2, lastMessage: { text: 'mine' }, peerId: dee.id });
      expect(byId.get(group.id)).toMatchObject({ unreadCount: 1, lastMessage: { text: 'group hello' } });
      expect(list.body.chats[0]!.id).toBe(group.id);
      expect((await eve.call('POST', `/chats/${direct.id}/read`, { seq: two.seq })).status).toBe(204);
      const after = await eve.call<{ chats: { id: string; unreadCount: number }[] }>('GET', '/chats');
      expect(after.body.chats.find((chat) => chat.id === direct.id)!.unreadCount).toBe(0);
    });

    it('tells the sender how far the others have read, so receipts survive a reload; channels keep reading private', async () => {
      const [fay, gus] = [await signUp(server), await signUp(server)];
      const direct = await fay.createChat({ type: 'direct', memberIds: [gus.id] });
      const channel = await fay.createChat({ type: 'channel', title: 'News', memberIds: [gus.id] });
      const first = await fay.send(direct.id, 'read me');
      await fay.send(direct.id, 'not yet');
      const post = await fay.send(channel.id, 'announcement');
      expect((await gus.call('POST', `/chats/${direct.id}/read`, { seq: first.seq })).status).toBe(204);
      expect((await gus.call('POST', `/chats/${channel.id}/read`, { seq: post.seq })).status).toBe(204);
      type Listed = { id: string; readSeq: number; peerReadSeq: number };
      const mine = new Map((await fay.call<{ chats: Listed[] }>('GET', '/chats')).body.chats.map((chat) => [chat.id, chat]));
      expect(mine.get(direct.id)).toMatchObject({ peerReadSeq: first.seq });
      expect(mine.get(channel.id)).toMatchObject({ peerReadSeq: 0 });
      const theirs = new Map((await gus.call<{ chats: Listed[] }>('GET', '/chats')).body.chats.map((chat) => [chat.id, chat]));
      expect(theirs.get(direct.id)).toMatchObject({ readSeq: first.seq, peerReadSeq: 0 });
    });

    it('documents the chats endpoints in the OpenAPI document under the chats tag', async () => {
      const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { tags?: string[] }>>;
      };
      for (const path of ['/api/v1/chats', '/api/v1/chats/{id}/messages', '/api/v1/updates', '/api/v1/chats/{id}/join']) {
        const operations = Object.values(document.paths[path] ?? {});
        expect(operations.length, path).toBeGreaterThan(0);
        expect(operations[0]!.tags).toEqual(['chats']);
      }
    });
  });
}

import type { ChatView, MessageView, User } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS, call } from '../identity/identity-http.js';
import { syncedSocket } from '../realtime/realtime-fixtures.js';
import { type RegisteredUser, registerUser, uniquePassword, uniqueUsername } from '../support/accounts.js';
import type { TestServer } from '../support/test-server.js';
import { rawAuthenticated } from '../wire/support/raw-tcp.js';
import { startWireServer, tcpPort } from '../wire/support/wire-server.js';

/** Text PostgreSQL cannot store (NUL) or that is not Unicode at all (lone surrogates). */
const UNSAFE = { nul: 'a\u0000b', 'lone high surrogate': 'a\ud800b', 'lone low surrogate': '\udc00' } as const;

for (const engines of ENGINE_SETS) {
  describe(`text input (${engines})`, () => {
    let server: TestServer;
    let ana: RegisteredUser;
    let chatId: string;
    beforeAll(async () => {
      server = await startWireServer({ engines });
      ana = await registerUser(server);
      const created = await call<ChatView>(server, 'POST', '/api/v1/chats', {
        token: ana.accessToken,
        body: { type: 'group', title: 'Text lab' },
      });
      chatId = created.body.id;
    });
    afterAll(async () => {
      await server?.stop();
    });

    const refusal = (field: string) => ({ error: expect.objectContaining({ code: 'VALIDATION_FAILED', field }) });

    for (const [kind, bad] of Object.entries(UNSAFE)) {
      it(`refuses a ${kind} in every HTTP text field with 400 naming the field`, async () => {
        const username = uniqueUsername('txt');
        const register = { username, email: `${username}@example.test`, password: uniquePassword() };
        const attempts: [string, string, Record<string, unknown>, string][] = [
          ['POST', '/api/v1/auth/register', { ...register, displayName: bad }, 'displayName'],
          ['POST', '/api/v1/auth/register', { ...register, email: `${bad}@example.test` }, 'email'],
          ['POST', '/api/v1/auth/register', { ...register, clientName: bad }, 'clientName'],
          ['POST', '/api/v1/auth/login', { login: bad, password: ana.password }, 'login'],
          ['POST', '/api/v1/auth/login', { login: ana.user.username, password: ana.password, clientName: bad }, 'clientName'],
          ['POST', '/api/v1/chats', { type: 'group', title: bad }, 'title'],
          ['PATCH', `/api/v1/chats/${chatId}`, { description: bad }, 'description'],
          ['POST', `/api/v1/chats/${chatId}/messages`, { clientMsgId: `m-${kind}`, text: bad }, 'text'],
          ['POST', `/api/v1/chats/${chatId}/messages`, { clientMsgId: bad, text: 'fine' }, 'clientMsgId'],
        ];
        for (const [method, path, body, field] of attempts) {
          const reply = await call(server, method, path, { token: ana.accessToken, body });
          expect({ path, status: reply.status, body: reply.body }).toEqual({ path, status: 400, body: refusal(field) });
        }
      });

      it(`answers a ${kind} in a WebSocket message.send with a validation error frame and keeps the socket`, async () => {
        const socket = await syncedSocket(server.url, ana.accessToken);
        socket.send({ type: 'message.send', id: 'f-text', chatId, clientMsgId: `ws-${kind}`, text: bad });
        expect(await socket.next('error')).toMatchObject({
          id: 'f-text',
          error: { code: 'VALIDATION_FAILED', field: 'text', message: 'text must not contain NUL or unpaired surrogate characters' },
        });
        socket.send({ type: 'message.send', id: 'f-id', chatId, clientMsgId: bad, text: 'fine' });
        expect(await socket.next('error')).toMatchObject({ id: 'f-id', error: { code: 'VALIDATION_FAILED', field: 'clientMsgId' } });
        socket.send({ type: 'ping' });
        await socket.next('pong');
        expect(socket.closed()).toBeUndefined();
        socket.socket.close();
      });

      it(`answers a ${kind} in a TCP SendMessage with a VALIDATION_FAILED Ack and keeps the connection`, async () => {
        const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
        client.write(
          { packet_type: 'SendMessage', message: { chat_id: chatId, content: bad }, client_msg_id: `tcp-${kind}` },
          { packet_type: 'SendMessage', message: { chat_id: chatId, content: 'fine' }, client_msg_id: bad },
          { packet_type: 'Ping' },
        );
        expect(await client.nextReplies(3)).toEqual([
          { packet_type: 'Ack', success: false, error: 'VALIDATION_FAILED' },
          { packet_type: 'Ack', success: false, error: 'VALIDATION_FAILED' },
          { packet_type: 'Pong' },
        ]);
        expect(client.isClosed).toBe(false);
        client.close();
      });
    }

    it('refuses a NUL in a search query or a chat id in the path, and finds nothing for bytes that are not UTF-8', async () => {
      const nul = await call(server, 'GET', '/api/v1/users?query=a%00b', { token: ana.accessToken });
      expect([nul.status, nul.body]).toEqual([400, refusal('query')]);
      const chat = await call(server, 'GET', '/api/v1/chats/a%00b/messages', { token: ana.accessToken });
      expect([chat.status, chat.body]).toEqual([400, refusal('id')]);
      // A lone surrogate cannot be percent-encoded as UTF-8; these are its CESU-8 bytes.
      const surrogate = await call<{ users: User[] }>(server, 'GET', '/api/v1/users?query=a%ED%A0%80', { token: ana.accessToken });
      expect([surrogate.status, surrogate.body]).toEqual([200, { users: [] }]);
    });

    it('keeps emoji and other characters outside the Basic Multilingual Plane on every transport', async () => {
      const text = 'lake 🌊 𝄞';
      const http = await call<MessageView>(server, 'POST', `/api/v1/chats/${chatId}/messages`, {
        token: ana.accessToken,
        body: { clientMsgId: 'astral-http', text },
      });
      expect([http.status, http.body.text]).toEqual([201, text]);
      const socket = await syncedSocket(server.url, ana.accessToken);
      socket.send({ type: 'message.send', id: 'astral', chatId, clientMsgId: 'astral-ws', text });
      expect((await socket.next('ack')).message.text).toBe(text);
      socket.socket.close();
      const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
      client.write({ packet_type: 'SendMessage', message: { chat_id: chatId, content: text }, client_msg_id: 'astral-tcp' });
      expect(await client.next()).toMatchObject({ packet_type: 'Ack', success: true });
      client.close();
    });

    it('normalizes display names to NFC and drops bidi controls and invisible characters', async () => {
      const victim = await registerUser(server, { displayName: 'Zoë' });
      const lookalikes = ['Zoë\u200b', '\u202eZoë', 'Zoe\u0308', '\u2066Zo\u00ad\ufeffë\u2069'];
      for (const displayName of lookalikes) {
        const impostor = await registerUser(server, { displayName });
        expect(impostor.user.displayName).toBe(victim.user.displayName);
      }
      const username = uniqueUsername('blank');
      const blank = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username, email: `${username}@example.test`, password: uniquePassword(), displayName: '\u200b\u202e' },
      });
      expect([blank.status, blank.body]).toEqual([400, refusal('displayName')]);
    });

    it('normalizes group and channel titles the same way, on create and on rename', async () => {
      const created = await call<ChatView>(server, 'POST', '/api/v1/chats', {
        token: ana.accessToken,
        body: { type: 'channel', title: '\u202eNews\u200d' },
      });
      expect([created.status, created.body.title]).toEqual([201, 'News']);
      const renamed = await call<ChatView>(server, 'PATCH', `/api/v1/chats/${created.body.id}`, {
        token: ana.accessToken,
        body: { title: 'Cafe\u0301\u2060' },
      });
      expect(renamed.body.title).toBe('Café');
      const blank = await call(server, 'PATCH', `/api/v1/chats/${created.body.id}`, {
        token: ana.accessToken,
        body: { title: '\u200b' },
      });
      expect([blank.status, blank.body]).toEqual([400, refusal('title')]);
    });

    it('shows a user the normalized name they registered with', async () => {
      const zed = await registerUser(server, { displayName: 'Ze\u0301d' });
      const profile = await call<User>(server, 'GET', `/api/v1/users/${zed.user.id}`, { token: ana.accessToken });
      expect(profile.body.displayName).toBe('Zéd');
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS, call } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

for (const engines of ENGINE_SETS) {
  describe(`HTTP flood limits count the route the router matched (${engines})`, () => {
    let server: TestServer;
    let alice: RegisteredUser;
    let chatId: string;
    beforeAll(async () => {
      // 4 requests per user and 20 per IP a minute: reached within a test.
      server = await startTestServer({ engines, env: { KAIF_RATE_LIMIT_PER_MINUTE: '4' } });
      alice = await registerUser(server);
      const bob = await registerUser(server);
      const chat = await call<{ id: string }>(server, 'POST', '/api/v1/chats', {
        token: alice.accessToken,
        body: { type: 'direct', memberIds: [bob.user.id] },
      });
      chatId = chat.body.id;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('keeps a limited user limited when the path is percent-encoded', async () => {
      const statuses: number[] = [];
      for (let request = 0; request < 4; request++) {
        statuses.push((await call(server, 'GET', '/api/v1/me', { token: alice.accessToken })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const list = await call(server, 'GET', '/%61pi/v1/chats', { token: alice.accessToken });
      expect(list.status).toBe(429);
      expect(list.body.error.code).toBe('FLOOD_WAIT');
      const send = await call(server, 'POST', `/%61pi/v1/chats/${chatId}/messages`, {
        token: alice.accessToken,
        body: { clientMsgId: 'encoded-1', text: 'around the limit' },
      });
      expect(send.status).toBe(429);
      expect(Number(send.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('counts requests with a bad token against their address', async () => {
      const statuses: number[] = [];
      for (let request = 0; request < 25 && !statuses.includes(429); request++) {
        statuses.push((await call(server, 'GET', '/api/v1/chats', { token: 'not-a-token' })).status);
      }
      expect(statuses.at(-1)).toBe(429);
      expect(new Set(statuses.slice(0, -1))).toEqual(new Set([401]));
    });
  });
}

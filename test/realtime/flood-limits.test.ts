import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { syncedSocket, wsUrl } from './realtime-fixtures.js';

describe('cluster-wide flood limits on the WebSocket', () => {
  let server: TestServer;
  beforeAll(async () => {
    // 4 per user and 20 per IP a minute: small enough to reach in a test.
    server = await startTestServer({ env: { KAIF_RATE_LIMIT_PER_MINUTE: '4' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a WebSocket send with FLOOD_WAIT once the user spent the budget shared with the API', async () => {
    const alice = await registerUser(server);
    const socket = await syncedSocket(server.url, alice.accessToken);
    for (let request = 0; request < 4; request++) {
      expect((await fetch(`${server.url}/api/v1/me`, { headers: authHeaders(alice.accessToken) })).status).toBe(200);
    }
    socket.send({ type: 'message.send', id: 'f1', chatId: randomUUID(), clientMsgId: 'c1', text: 'one too many' });
    const error = await socket.next('error');
    expect(error).toMatchObject({ id: 'f1', error: { code: 'FLOOD_WAIT' } });
    expect(error.error.retryAfter).toBeGreaterThan(0);
    socket.socket.close();
  });

  it('answers 429 with Retry-After to WebSocket upgrades from an address past its budget', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 25 && !statuses.includes(429); attempt++) {
      statuses.push(
        await new Promise<number>((resolve) => {
          const socket = new WebSocket(wsUrl(server.url), { perMessageDeflate: false });
          socket.once('open', () => {
            socket.close();
            resolve(101);
          });
          socket.once('unexpected-response', (_request, response) => {
            expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
            resolve(response.statusCode ?? 0);
          });
          socket.once('error', () => undefined);
        }),
      );
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status === 101).length).toBeGreaterThan(5);
  });
});

import { describe, expect, it } from 'vitest';
import { registerUser } from '../support/accounts.js';
import { startTestServer } from '../support/test-server.js';
import { syncedSocket } from './realtime-fixtures.js';

describe('graceful shutdown with clients connected', () => {
  it('closes live sockets with 1001 and finishes stopping promptly', async () => {
    const server = await startTestServer();
    const alice = await registerUser(server);
    const socket = await syncedSocket(server.url, alice.accessToken);
    const startedAt = Date.now();
    await server.stop();
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(await socket.closedWith(1000)).toBe(1001);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { KaifClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeRound, online } from '../support/active-round.js';
import { engineAvailable } from '../support/engines.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { login } from '../identity/identity-http.js';
import { longestTtlMs, shortTtlModules } from '../support/short-ttls.js';
import { sdkClient } from '../support/sdk-clients.js';
import { type EngineSet, type TestServer, startTestServer } from '../support/test-server.js';
import { exchangeDatagram, json } from '../wire/support/udp.js';
import { udpPort } from '../wire/support/wire-server.js';

const TTL_MS = 1000;
const IDLE_GAP_MS = longestTtlMs(TTL_MS) + 500;
const ROUNDS = 3;

const ENGINE_SETS: readonly EngineSet[] = [
  'embedded',
  ...(engineAvailable('postgres') && engineAvailable('redis') ? (['real'] as const) : []),
];

// Issue 11, defect 1: a cache that expires must be reread without breaking
// the request that finds it expired. Every lifetime is about a second here;
// each round comes after a gap longer than all of them.
for (const engines of ENGINE_SETS) {
  describe(`after every cache lifetime has expired, again and again (${engines})`, () => {
    let server: TestServer;
    let returning: RegisteredUser;
    let watching: RegisteredUser;
    let watcher: KaifClient;
    let chatId: string;

    beforeAll(async () => {
      server = await startTestServer({ engines, modules: shortTtlModules(TTL_MS) });
      returning = await registerUser(server);
      watching = await registerUser(server);
      watcher = sdkClient(server.url, { accessToken: watching.accessToken, refreshToken: watching.refreshToken });
      chatId = (await watcher.chats.create({ type: 'direct', memberIds: [returning.user.id] })).id;
      await online(watcher);
    });
    afterAll(async () => {
      watcher?.realtime.disconnect();
      await server?.stop();
    });

    it('signs in, refreshes, sends and receives over HTTP and the WebSocket after each idle gap', { timeout: 120_000 }, async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        await sleep(IDLE_GAP_MS);
        const times = await activeRound(server.url, { username: returning.user.username, password: returning.password }, watcher, chatId, `round ${round}`);
        expect(times.map((time) => time.step)).toHaveLength(7);
      }
      // The watcher stayed connected through every gap: its heartbeats kept it online past each presence lifetime.
      const returningFromRegistration = sdkClient(server.url, { accessToken: returning.accessToken, refreshToken: returning.refreshToken });
      expect((await returningFromRegistration.users.presence(watching.user.id)).status).toBe('online');
    });

    it('trusts a UDP token while it lives and refuses it once both the token and its cache entry have expired', { timeout: 60_000 }, async () => {
      const ping = (token: string) => exchangeDatagram(udpPort(server), JSON.stringify({ packet_type: 'Ping', token }));
      for (let round = 1; round <= 2; round++) {
        const { accessToken } = (await login(server, { login: returning.user.username, password: returning.password })).body;
        expect((await ping(accessToken)).map(json)).toEqual([{ packet_type: 'Pong' }]);
        await sleep(IDLE_GAP_MS);
        expect((await ping(accessToken)).map(json)).toEqual([{ packet_type: 'Ack', success: false, error: 'TOKEN_INVALID' }]);
      }
    });
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityModule } from '../../packages/server/src/modules/identity/identity-module.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, login, refresh } from './identity-http.js';

const SIGNING_KEY_RELOAD_MS = 300;

// Issue 11, defect 1: once the signing keys were older than their reload
// interval, the next sign-in reread them through the root handle from inside
// its own transaction, and embedded PGlite (one connection) hung for good.
for (const engines of ENGINE_SETS) {
  describe(`signing in after the signing keys have gone stale (${engines})`, () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer({
        engines,
        modules: [
          createIdentityModule({ timings: { signingKeyReloadMs: SIGNING_KEY_RELOAD_MS } }),
          ...MODULES.filter((module) => module.name !== 'identity'),
        ],
      });
    });
    afterAll(() => server.stop());

    it('registers, signs in and refreshes after an idle gap longer than the key reload interval', async () => {
      const alice = await registerUser(server);
      await sleep(SIGNING_KEY_RELOAD_MS * 2);
      const bob = await registerUser(server);
      expect(bob.user.username).toBeTruthy();
      await sleep(SIGNING_KEY_RELOAD_MS * 2);
      const signedIn = await login(server, { login: alice.user.username, password: alice.password });
      expect(signedIn.status).toBe(200);
      await sleep(SIGNING_KEY_RELOAD_MS * 2);
      const refreshed = await refresh(server, signedIn.body.refreshToken);
      expect(refreshed.status).toBe(200);
      expect((await call(server, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).status).toBe(200);
      expect((await call(server, 'GET', '/health')).status).toBe(200);
    });
  });
}

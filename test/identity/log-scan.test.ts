import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/modules/identity/two-factor/totp.js';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, type TokenPairBody, call, login, refresh } from './identity-http.js';

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const engines of ENGINE_SETS) {
  describe(`no secret in any log line (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines, env: { LOG_LEVEL: 'trace' } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('logs no password, token, recovery code, TOTP secret or TOTP code through a whole account lifecycle', async () => {
      const secrets: string[] = [];
      const codes: string[] = [];
      const alice = await registerUser(server);
      secrets.push(alice.password, alice.accessToken, alice.refreshToken);

      const wrongPassword = 'wrong-password-for-logs';
      secrets.push(wrongPassword);
      await login(server, { login: alice.user.username, password: wrongPassword });

      const setup = await call<{ secret: string; otpauthUrl: string; qrCode: string }>(server, 'POST', '/api/v1/auth/2fa/setup', {
        token: alice.accessToken,
      });
      secrets.push(setup.body.secret);
      const enableCode = totpCode(setup.body.secret);
      codes.push(enableCode);
      const enabled = await call<{ recoveryCodes: string[] }>(server, 'POST', '/api/v1/auth/2fa/enable', {
        token: alice.accessToken,
        body: { code: enableCode },
      });
      secrets.push(...enabled.body.recoveryCodes);

      await login(server, { login: alice.user.username, password: alice.password });
      const loginCode = totpCode(setup.body.secret, { timestampMs: Date.now() + 30_000 });
      codes.push(loginCode);
      const signedIn = await login<TokenPairBody>(server, { login: alice.user.username, password: alice.password, totp: loginCode });
      expect(signedIn.status).toBe(200);
      secrets.push(signedIn.body.accessToken, signedIn.body.refreshToken);
      await login(server, { login: alice.user.username, password: alice.password, totp: enabled.body.recoveryCodes[0] });

      await call(server, 'POST', '/api/v1/auth/verify', { body: { token: signedIn.body.accessToken } });
      await call(server, 'GET', '/api/v1/me', { token: 'not.a.token' });
      const refreshed = await refresh(server, signedIn.body.refreshToken);
      expect(refreshed.status).toBe(200);
      secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
      await refresh(server, signedIn.body.refreshToken);
      await call(server, 'POST', '/api/v1/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });

      expect(server.rawLogs.length).toBeGreaterThan(10);
      const leaks = server.rawLogs.filter(
        (line) =>
          secrets.some((secret) => line.includes(secret)) ||
          codes.some((code) => new RegExp(`(?<!\\d)${escapeRegExp(code)}(?!\\d)`).test(line)),
      );
      expect(leaks).toEqual([]);
    });
  });
}

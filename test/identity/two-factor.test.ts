import type { Me } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/modules/identity/two-factor/totp.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, identityDb, login } from './identity-http.js';

interface Setup {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
}

// The step after the current one is inside the ±1 drift window and later
// than the step spent on enable, so a test can use it without waiting.
const nextStepCode = (secret: string) => totpCode(secret, { timestampMs: Date.now() + 30_000 });

for (const engines of ENGINE_SETS) {
  describe(`two-factor authentication (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines });
    });
    afterAll(async () => {
      await server?.stop();
    });

    async function withTwoFactor(): Promise<{ user: RegisteredUser; secret: string; recoveryCodes: string[] }> {
      const user = await registerUser(server);
      const setup = await call<Setup>(server, 'POST', '/api/v1/auth/2fa/setup', { token: user.accessToken });
      const enabled = await call<{ recoveryCodes: string[] }>(server, 'POST', '/api/v1/auth/2fa/enable', {
        token: user.accessToken,
        body: { code: totpCode(setup.body.secret) },
      });
      expect(enabled.status).toBe(200);
      return { user, secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes };
    }

    it('sets up with a base32 secret, an otpauth URL and a QR code, and stores the secret sealed', async () => {
      const alice = await registerUser(server);
      const setup = await call<Setup>(server, 'POST', '/api/v1/auth/2fa/setup', { token: alice.accessToken });
      expect(setup.status).toBe(200);
      expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(setup.body.otpauthUrl.startsWith(`otpauth://totp/Kaif%20Lake:${alice.user.username}?`)).toBe(true);
      expect(setup.body.qrCode.startsWith('data:image/png;base64,')).toBe(true);
      const row = await identityDb(server)
        .selectFrom('identity.two_factor')
        .selectAll()
        .where('user_id', '=', alice.user.id)
        .executeTakeFirstOrThrow();
      expect(row.pending_secret_sealed).not.toContain(setup.body.secret);
      expect(server.adapters.secrets.open(row.pending_secret_sealed!, alice.user.id)).toBe(setup.body.secret);
    });

    it('refuses enable without setup or with a wrong code', async () => {
      const alice = await registerUser(server);
      const early = await call(server, 'POST', '/api/v1/auth/2fa/enable', { token: alice.accessToken, body: { code: '123456' } });
      expect(early.body.error.code).toBe('TWO_FACTOR_SETUP_REQUIRED');
      const setup = await call<Setup>(server, 'POST', '/api/v1/auth/2fa/setup', { token: alice.accessToken });
      const wrongCode = totpCode(setup.body.secret, { timestampMs: Date.now() - 10 * 60_000 });
      const wrong = await call(server, 'POST', '/api/v1/auth/2fa/enable', { token: alice.accessToken, body: { code: wrongCode } });
      expect(wrong.body.error.code).toBe('TOTP_INVALID');
    });

    it('enables with a valid code, returns 10 distinct recovery codes and signs other sessions out', async () => {
      const alice = await registerUser(server);
      const other = await login(server, { login: alice.user.username, password: alice.password });
      const setup = await call<Setup>(server, 'POST', '/api/v1/auth/2fa/setup', { token: alice.accessToken });
      const enabled = await call<{ recoveryCodes: string[] }>(server, 'POST', '/api/v1/auth/2fa/enable', {
        token: alice.accessToken,
        body: { code: totpCode(setup.body.secret) },
      });
      expect(enabled.body.recoveryCodes).toHaveLength(10);
      expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: alice.accessToken })).body.twoFactorEnabled).toBe(true);
      expect((await call(server, 'GET', '/api/v1/me', { token: other.body.accessToken })).status).toBe(401);
      const stored = await identityDb(server).selectFrom('identity.recovery_codes').select('code_hash').where('user_id', '=', alice.user.id).execute();
      expect(stored.map((row) => row.code_hash)).not.toContain(enabled.body.recoveryCodes[0]);
    });

    it('asks for the code at login: missing → TOTP_REQUIRED, wrong → TOTP_INVALID, right → signed in', async () => {
      const { user, secret } = await withTwoFactor();
      const credentials = { login: user.user.username, password: user.password };
      const missing = await login(server, credentials);
      expect(missing.status).toBe(401);
      expect(missing.body.error.code).toBe('TOTP_REQUIRED');
      const wrong = await login(server, { ...credentials, totp: '000000' === nextStepCode(secret) ? '111111' : '000000' });
      expect(wrong.body.error.code).toBe('TOTP_INVALID');
      const right = await login(server, { ...credentials, totp: nextStepCode(secret) });
      expect(right.status).toBe(200);
    });

    it('accepts each time-step once: the same code again is TOTP_INVALID', async () => {
      const { user, secret } = await withTwoFactor();
      const code = nextStepCode(secret);
      const credentials = { login: user.user.username, password: user.password, totp: code };
      expect((await login(server, credentials)).status).toBe(200);
      const replay = await login(server, credentials);
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('TOTP_INVALID');
    });

    it('accepts a recovery code in the totp field once', async () => {
      const { user, recoveryCodes } = await withTwoFactor();
      const credentials = { login: user.user.username, password: user.password, totp: recoveryCodes[3]!.toUpperCase() };
      expect((await login(server, credentials)).status).toBe(200);
      expect((await login(server, credentials)).body.error.code).toBe('TOTP_INVALID');
    });

    it('disables only with a valid code, then signs in without one', async () => {
      const { user, recoveryCodes } = await withTwoFactor();
      const wrong = await call(server, 'POST', '/api/v1/auth/2fa/disable', { token: user.accessToken, body: { code: '000000' } });
      expect(wrong.body.error.code).toBe('TOTP_INVALID');
      const disabled = await call(server, 'POST', '/api/v1/auth/2fa/disable', { token: user.accessToken, body: { code: recoveryCodes[0] } });
      expect(disabled.status).toBe(204);
      expect((await login(server, { login: user.user.username, password: user.password })).status).toBe(200);
      const again = await call(server, 'POST', '/api/v1/auth/2fa/disable', { token: user.accessToken, body: { code: recoveryCodes[1] } });
      expect(again.body.error.code).toBe('TWO_FACTOR_NOT_ENABLED');
    });

    it('refuses a second setup while 2FA is on', async () => {
      const { user } = await withTwoFactor();
      const response = await call(server, 'POST', '/api/v1/auth/2fa/setup', { token: user.accessToken });
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('TWO_FACTOR_ALREADY_ENABLED');
    });

    it('limits wrong codes: the 6th wrong code in a row answers FLOOD_WAIT', async () => {
      const { user, secret } = await withTwoFactor();
      const good = nextStepCode(secret);
      const bad = good === '000000' ? '111111' : '000000';
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await call(server, 'POST', '/api/v1/auth/2fa/disable', { token: user.accessToken, body: { code: bad } });
        expect(response.body.error.code).toBe('TOTP_INVALID');
      }
      const limited = await call(server, 'POST', '/api/v1/auth/2fa/disable', { token: user.accessToken, body: { code: good } });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('FLOOD_WAIT');
    });
  });
}

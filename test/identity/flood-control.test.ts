import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityModule } from '../../packages/server/src/modules/identity/identity-module.js';
import { registerUser, uniquePassword, uniqueUsername } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, login } from './identity-http.js';

for (const engines of ENGINE_SETS) {
  describe(`flood control at the production limits (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers the 6th failed login for an account with 429 FLOOD_WAIT and Retry-After, even with the right password', async () => {
      const alice = await registerUser(server);
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const failed = await login(server, { login: alice.user.username, password: `wrong-password-${attempt}` });
        expect(failed.status).toBe(401);
        expect(failed.body.error.code).toBe('INVALID_CREDENTIALS');
      }
      const limited = await login(server, { login: alice.user.username, password: 'wrong-password-6' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('FLOOD_WAIT');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(limited.body.error.retryAfter).toBe(retryAfter);
      const evenRight = await login(server, { login: alice.email, password: alice.password });
      expect(evenRight.status).toBe(429);
    });

    it('counts parallel guesses too: of 8 at once, at most 5 are checked', async () => {
      const bob = await registerUser(server);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) => login(server, { login: bob.user.username, password: `parallel-guess-${index}` })),
      );
      expect(results.filter((result) => result.status === 401)).toHaveLength(5);
      expect(results.filter((result) => result.status === 429)).toHaveLength(3);
    });

    it('gives an unknown user and a wrong password the same answer', async () => {
      const carol = await registerUser(server);
      const wrongPassword = await login(server, { login: carol.user.username, password: 'definitely-wrong-1' });
      const unknownUser = await login(server, { login: uniqueUsername('ghost'), password: 'definitely-wrong-1' });
      expect(unknownUser.status).toBe(wrongPassword.status);
      expect(unknownUser.body).toEqual(wrongPassword.body);
      expect(unknownUser.body).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'Wrong login or password' } });
    });

    it('limits unknown logins exactly like real ones', async () => {
      const ghost = uniqueUsername('ghost');
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await login(server, { login: ghost, password: 'nobody-home-123' })).status).toBe(401);
      }
      expect((await login(server, { login: ghost, password: 'nobody-home-123' })).status).toBe(429);
    });

    it('forgets earlier failures after a successful login', async () => {
      const dave = await registerUser(server);
      for (let attempt = 0; attempt < 4; attempt += 1) await login(server, { login: dave.user.username, password: 'wrong-guess-42' });
      expect((await login(server, { login: dave.user.username, password: dave.password })).status).toBe(200);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await login(server, { login: dave.user.username, password: 'wrong-guess-42' })).status).toBe(401);
      }
    });
  });

  describe(`flood control per IP (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        engines,
        modules: [createIdentityModule({ floodLimits: { failedLoginsPerIp: 3, registrationsPerIp: 4 } })],
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('limits failed logins per IP across accounts', async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await login(server, { login: uniqueUsername('ip'), password: 'wrong-everywhere' })).status).toBe(401);
      }
      const limited = await login(server, { login: uniqueUsername('ip'), password: 'wrong-everywhere' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('limits registrations per IP', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const username = uniqueUsername('reg');
        const response = await call(server, 'POST', '/api/v1/auth/register', {
          body: { username, email: `${username}@example.test`, password: uniquePassword() },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([201, 201, 201, 201, 429]);
    });
  });
}

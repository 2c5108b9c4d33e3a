import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLOOD_LIMITS } from '../../packages/server/src/modules/identity/credentials/flood-control.js';
import { waitSeconds } from '../../packages/server/src/modules/identity/credentials/login-throttle.js';
import { createIdentityModule } from '../../packages/server/src/modules/identity/identity-module.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { type RegisteredUser, registerUser, uniquePassword, uniqueUsername } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, type ErrorBody, type TokenPairBody, call } from './identity-http.js';

/** The server trusts X-Forwarded-For here, so each test picks the address a request comes from. */
const TRUSTED_PROXY = { KAIF_TRUST_PROXY: 'true' };

let addressCounter = 0;
/** An address no other test uses. */
const freshAddress = () => {
  addressCounter += 1;
  return `198.51.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
};

const loginFrom = (server: TestServer, ip: string, body: Record<string, unknown>) =>
  call<TokenPairBody & ErrorBody>(server, 'POST', '/api/v1/auth/login', { body, headers: { 'x-forwarded-for': ip } });

const registerFrom = async (server: TestServer, ip: string): Promise<RegisteredUser> => {
  const username = uniqueUsername();
  const password = uniquePassword();
  const email = `${username}@example.test`;
  const response = await call<TokenPairBody & { user: RegisteredUser['user'] }>(server, 'POST', '/api/v1/auth/register', {
    body: { username, email, password },
    headers: { 'x-forwarded-for': ip },
  });
  expect(response.status).toBe(201);
  return { user: response.body.user, accessToken: response.body.accessToken, refreshToken: response.body.refreshToken, password, email };
};

describe('sign-in waits', () => {
  it('start at 1 s after the free failures, double, and stop at the cap', () => {
    const limits = { freeLoginFailures: 5, maxLoginWaitSeconds: 900 };
    expect([5, 6, 7, 8, 14, 15, 40].map((failures) => waitSeconds(failures, limits))).toEqual([1, 2, 4, 8, 512, 900, 900]);
  });
});

for (const engines of ENGINE_SETS) {
  describe(`sign-in throttling at the production limits (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines, env: TRUSTED_PROXY });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('makes an address wait after 5 failures for one account, with FLOOD_WAIT and Retry-After', async () => {
      const alice = await registerUser(server);
      const stranger = freshAddress();
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const failed = await loginFrom(server, stranger, { login: alice.user.username, password: `wrong-password-${attempt}` });
        expect(failed.status).toBe(401);
        expect(failed.body.error.code).toBe('INVALID_CREDENTIALS');
      }
      const limited = await loginFrom(server, stranger, { login: alice.user.username, password: 'wrong-password-6' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('FLOOD_WAIT');
      expect(Number(limited.headers.get('retry-after'))).toBe(1);
      expect(limited.body.error.retryAfter).toBe(1);
    });

    it('does not lock the owner out: a stranger’s failures leave the right password working, by username and by email', async () => {
      const bob = await registerUser(server);
      const stranger = freshAddress();
      for (let attempt = 0; attempt < 6; attempt += 1) {
        await loginFrom(server, stranger, { login: attempt % 2 ? bob.email : bob.user.username, password: `guess-${attempt}-x` });
      }
      expect((await loginFrom(server, stranger, { login: bob.user.username, password: 'guess-again-x' })).status).toBe(429);
      const owner = freshAddress();
      expect((await loginFrom(server, owner, { login: bob.user.username, password: bob.password })).status).toBe(200);
      expect((await loginFrom(server, owner, { login: bob.email, password: bob.password })).status).toBe(200);
    });

    it('counts parallel guesses too: of 8 at once from one address, at most 5 are checked', async () => {
      const carol = await registerUser(server);
      const stranger = freshAddress();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) => loginFrom(server, stranger, { login: carol.user.username, password: `parallel-guess-${index}` })),
      );
      expect(results.filter((result) => result.status === 401)).toHaveLength(5);
      expect(results.filter((result) => result.status === 429)).toHaveLength(3);
    });

    it('gives an unknown user and a wrong password the same answer', async () => {
      const dave = await registerUser(server);
      const address = freshAddress();
      const wrongPassword = await loginFrom(server, address, { login: dave.user.username, password: 'definitely-wrong-1' });
      const unknownUser = await loginFrom(server, address, { login: uniqueUsername('ghost'), password: 'definitely-wrong-1' });
      expect(unknownUser.status).toBe(wrongPassword.status);
      expect(unknownUser.body).toEqual(wrongPassword.body);
      expect(unknownUser.body).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'Wrong login or password' } });
    });

    it('limits unknown logins exactly like real ones', async () => {
      const ghost = uniqueUsername('ghost');
      const address = freshAddress();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await loginFrom(server, address, { login: ghost, password: 'nobody-home-123' })).status).toBe(401);
      }
      expect((await loginFrom(server, address, { login: ghost, password: 'nobody-home-123' })).status).toBe(429);
    });

    it('forgets the address’s failures after a successful login', async () => {
      const erin = await registerUser(server);
      const address = freshAddress();
      for (let attempt = 0; attempt < 4; attempt += 1) await loginFrom(server, address, { login: erin.user.username, password: 'wrong-guess-42' });
      expect((await loginFrom(server, address, { login: erin.user.username, password: erin.password })).status).toBe(200);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await loginFrom(server, address, { login: erin.user.username, password: 'wrong-guess-42' })).status).toBe(401);
      }
    });
  });

  describe(`sign-in limits across addresses (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        engines,
        env: TRUSTED_PROXY,
        modules: [
          ...MODULES.filter((module) => module.name !== 'identity'),
          createIdentityModule({ floodLimits: { failedLoginsPerAccount: 4, failedLoginsPerIp: 3, registrationsPerIp: 4 } }),
        ],
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('limits an account guessed at from many addresses, but not its owner at an address they signed in from', async () => {
      const home = freshAddress();
      const frank = await registerFrom(server, home);
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await loginFrom(server, freshAddress(), { login: frank.user.username, password: `spread-guess-${attempt}` })).status).toBe(401);
      }
      const spread = await loginFrom(server, freshAddress(), { login: frank.user.username, password: 'spread-guess-4' });
      expect(spread.status).toBe(429);
      expect(spread.body.error.retryAfter).toBeLessThanOrEqual(DEFAULT_FLOOD_LIMITS.accountWindowSeconds);
      expect((await loginFrom(server, home, { login: frank.user.username, password: frank.password })).status).toBe(200);
    });

    it('limits failures per address across accounts without blocking the people who signed in there before', async () => {
      const nat = freshAddress();
      const grace = await registerFrom(server, nat);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await loginFrom(server, nat, { login: uniqueUsername('ip'), password: 'wrong-everywhere' })).status).toBe(401);
      }
      const limited = await loginFrom(server, nat, { login: uniqueUsername('ip'), password: 'wrong-everywhere' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await loginFrom(server, nat, { login: grace.user.username, password: grace.password })).status).toBe(200);
    });

    it('limits registrations per IP', async () => {
      const address = freshAddress();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const username = uniqueUsername('reg');
        const response = await call(server, 'POST', '/api/v1/auth/register', {
          body: { username, email: `${username}@example.test`, password: uniquePassword() },
          headers: { 'x-forwarded-for': address },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([201, 201, 201, 201, 429]);
    });
  });
}

import type { AdminUser, Me, User } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, uniquePassword, uniqueUsername } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, type TokenPairBody, call, login, newAdmin } from './identity-http.js';

for (const engines of ENGINE_SETS) {
  describe(`accounts (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('makes every new account a user, the first one too (admins come from the bootstrap code or the CLI)', async () => {
      const first = await registerUser(server);
      const second = await registerUser(server);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: first.accessToken })).body.role).toBe('user');
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: second.accessToken })).body.role).toBe('user');
    });

    it('registers with 201 and the public user, and signs in by username or email in any case', async () => {
      const username = uniqueUsername('Reg');
      const password = uniquePassword();
      const email = `${username}@Example.test`;
      const registered = await call<{ user: User } & TokenPairBody>(server, 'POST', '/api/v1/auth/register', {
        body: { username, email, password, displayName: 'Reggie' },
      });
      expect(registered.status).toBe(201);
      expect(registered.body.user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username,
        displayName: 'Reggie',
        createdAt: expect.stringMatching(/Z$/),
      });
      expect(registered.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);

      const byUsername = await login(server, { login: username.toUpperCase(), password });
      expect(byUsername.status).toBe(200);
      const byEmail = await login<{ user: User }>(server, { login: email.toLowerCase(), password });
      expect(byEmail.status).toBe(200);
      expect(byEmail.body.user.id).toBe(registered.body.user.id);
    });

    it('refuses a username or email that differs only in case', async () => {
      const taken = await registerUser(server);
      const sameName = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username: taken.user.username.toUpperCase(), email: `${uniqueUsername()}@example.test`, password: uniquePassword() },
      });
      expect(sameName.status).toBe(409);
      expect(sameName.body.error.code).toBe('USERNAME_TAKEN');
      const sameEmail = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username: uniqueUsername(), email: taken.email.toUpperCase(), password: uniquePassword() },
      });
      expect(sameEmail.status).toBe(409);
      expect(sameEmail.body.error.code).toBe('EMAIL_TAKEN');
    });

    it.each([
      ['short1', 'password must be at least 10 characters long'],
      ['password123', 'password is one of the most common passwords; choose another'],
    ])('refuses the password %j with 400 naming the field', async (password, message) => {
      const response = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username: uniqueUsername(), email: `${uniqueUsername()}@example.test`, password },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'password', message });
    });

    it('refuses a password containing the username', async () => {
      const username = uniqueUsername('Kim');
      const response = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username, email: `${uniqueUsername()}@example.test`, password: `${username.toLowerCase()}-2024!` },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'password' });
      expect(response.body.error.message).toMatch(/username/);
    });

    it('refuses a username outside the documented charset', async () => {
      const response = await call(server, 'POST', '/api/v1/auth/register', {
        body: { username: '9lives', email: `${uniqueUsername()}@example.test`, password: uniquePassword() },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'username' });
    });

    it('shows email on /me only', async () => {
      const alice = await registerUser(server);
      const me = await call<Me>(server, 'GET', '/api/v1/me', { token: alice.accessToken });
      expect(me.body).toMatchObject({ id: alice.user.id, email: alice.email, twoFactorEnabled: false });
      const profile = await call<User>(server, 'GET', `/api/v1/users/${alice.user.id}`, { token: alice.accessToken });
      expect(profile.body).toEqual(alice.user);
      expect(profile.body).not.toHaveProperty('email');
    });

    it('answers 401 UNAUTHORIZED without a token and 404 for an unknown user', async () => {
      const alice = await registerUser(server);
      expect((await call(server, 'GET', '/api/v1/me')).body.error.code).toBe('UNAUTHORIZED');
      const unknown = await call(server, 'GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', { token: alice.accessToken });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('USER_NOT_FOUND');
    });

    it('finds users by username prefix first, ignoring case, within the limit', async () => {
      const stem = `Zed${Date.now().toString(36)}`;
      const names = [`${stem}_a`, `${stem}_b`, `${stem}xb`];
      const [first] = await Promise.all(names.map((username) => registerUser(server, { username })));
      const found = await call<{ users: User[] }>(server, 'GET', `/api/v1/users?query=${stem.toLowerCase()}&limit=2`, {
        token: first!.accessToken,
      });
      expect(found.status).toBe(200);
      expect(found.body.users.map((user) => user.username)).toEqual(names.slice(0, 2));
      const literalUnderscore = await call<{ users: User[] }>(server, 'GET', `/api/v1/users?query=${stem}_`, { token: first!.accessToken });
      // `_` is matched literally: the third name is found only as a similar one, after the prefix matches.
      expect(literalUnderscore.body.users.map((user) => user.username)).toEqual(names);
    });

    it('changes the password, keeps this session and ends the others', async () => {
      const alice = await registerUser(server);
      const other = await login(server, { login: alice.user.username, password: alice.password });
      const newPassword = uniquePassword();
      const wrong = await call(server, 'POST', '/api/v1/me/password', {
        token: alice.accessToken,
        body: { currentPassword: 'not-the-password', newPassword },
      });
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      const weak = await call(server, 'POST', '/api/v1/me/password', {
        token: alice.accessToken,
        body: { currentPassword: alice.password, newPassword: 'qwertyuiop' },
      });
      expect(weak.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'newPassword' });
      const changed = await call(server, 'POST', '/api/v1/me/password', {
        token: alice.accessToken,
        body: { currentPassword: alice.password, newPassword },
      });
      expect(changed.status).toBe(204);
      expect((await call(server, 'GET', '/api/v1/me', { token: alice.accessToken })).status).toBe(200);
      expect((await call(server, 'GET', '/api/v1/me', { token: other.body.accessToken })).body.error.code).toBe('TOKEN_INVALID');
      expect((await login(server, { login: alice.user.username, password: alice.password })).status).toBe(401);
      expect((await login(server, { login: alice.user.username, password: newPassword })).status).toBe(200);
    });

    it('lets an admin list, disable and enable accounts; a disabled account is signed out at once', async () => {
      const admin = await newAdmin(server);
      const bob = await registerUser(server);
      expect((await call(server, 'GET', '/api/v1/admin/users', { token: bob.accessToken })).status).toBe(403);

      const listed = await call<{ users: AdminUser[] }>(server, 'GET', `/api/v1/admin/users?query=${bob.user.username}`, { token: admin });
      expect(listed.body.users).toEqual([{ ...bob.user, email: bob.email, role: 'user', twoFactorEnabled: false, disabled: false }]);

      expect((await call(server, 'POST', `/api/v1/admin/users/${bob.user.id}/disable`, { token: admin })).status).toBe(204);
      expect((await call(server, 'GET', '/api/v1/me', { token: bob.accessToken })).body.error.code).toBe('TOKEN_INVALID');
      const refused = await login(server, { login: bob.user.username, password: bob.password });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');
      const search = await call<{ users: User[] }>(server, 'GET', `/api/v1/users?query=${bob.user.username}`, { token: admin });
      expect(search.body.users.map((user) => user.id)).not.toContain(bob.user.id);

      expect((await call(server, 'POST', `/api/v1/admin/users/${bob.user.id}/enable`, { token: admin })).status).toBe(204);
      expect((await login(server, { login: bob.user.username, password: bob.password })).status).toBe(200);
    });

    it('publishes every identity route in the OpenAPI document with tags and bearer security', async () => {
      const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
      };
      for (const path of ['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/2fa/setup']) {
        expect(document.paths[path]?.post?.tags).toEqual(['identity']);
      }
      expect(document.paths['/api/v1/me']?.get?.security).toEqual([{ bearer: [] }]);
      expect(document.paths['/api/v1/users/{id}']?.get).toBeDefined();
      expect(document.paths['/api/v1/admin/users']?.get?.tags).toEqual(['admin']);
      expect(document.paths['/.well-known/jwks.json']?.get).toBeDefined();
    });
  });
}

import type { Me } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, uniquePassword, uniqueUsername } from '../support/accounts.js';
import type { TestServer } from '../support/test-server.js';
import { startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, type ErrorBody, type Reply, type TokenPairBody, call, login } from './identity-http.js';

/** The refresh cookie a response sets, with its attributes, or undefined. */
function refreshCookieOf(reply: Reply<unknown>): { value: string; attributes: string[] } | undefined {
  const line = reply.headers.getSetCookie().find((cookie) => cookie.startsWith('kaif_refresh='));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(/;\s*/);
  return { value: pair!.slice('kaif_refresh='.length), attributes: attributes.map((attribute) => attribute.toLowerCase()) };
}

const withCookie = (value: string) => ({ cookie: `kaif_refresh=${value}` });

for (const engines of ENGINE_SETS) {
  describe(`refresh cookie for browsers (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie on the auth path and leaves it out of the body', async () => {
      const alice = await registerUser(server);
      const signedIn = await login<TokenPairBody & { user: { id: string } }>(server, {
        login: alice.user.username,
        password: alice.password,
        refreshCookie: true,
      });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body).toEqual({ user: expect.objectContaining({ id: alice.user.id }), accessToken: expect.any(String) });
      const cookie = refreshCookieOf(signedIn);
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(cookie?.attributes).toEqual(
        expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/api/v1/auth', `max-age=${30 * 24 * 60 * 60}`]),
      );
    });

    it('registers in cookie mode too', async () => {
      const username = uniqueUsername('cookie');
      const registered = await call<TokenPairBody>(server, 'POST', '/api/v1/auth/register', {
        body: { username, email: `${username}@example.test`, password: uniquePassword(), refreshCookie: true },
      });
      expect(registered.status).toBe(201);
      expect(registered.body.refreshToken).toBeUndefined();
      expect(refreshCookieOf(registered)?.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    });

    it('refreshes from the cookie alone, rotating it, and treats the old cookie as reuse', async () => {
      const alice = await registerUser(server);
      const signedIn = await login(server, { login: alice.user.username, password: alice.password, refreshCookie: true });
      const first = refreshCookieOf(signedIn)!.value;

      const refreshed = await call<TokenPairBody>(server, 'POST', '/api/v1/auth/refresh', { body: {}, headers: withCookie(first) });
      expect(refreshed.status).toBe(200);
      expect(Object.keys(refreshed.body)).toEqual(['accessToken']);
      const second = refreshCookieOf(refreshed)!.value;
      expect(second).not.toBe(first);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).status).toBe(200);

      const replayed = await call(server, 'POST', '/api/v1/auth/refresh', { body: {}, headers: withCookie(first) });
      expect([replayed.status, replayed.body.error.code]).toEqual([401, 'TOKEN_REUSED']);
      expect(refreshCookieOf(replayed)?.value).toBe('');
      expect((await call(server, 'POST', '/api/v1/auth/refresh', { body: {}, headers: withCookie(second) })).status).toBe(401);
    });

    it('answers a refresh with neither a body token nor a cookie with TOKEN_INVALID', async () => {
      const reply = await call<ErrorBody>(server, 'POST', '/api/v1/auth/refresh', { body: {} });
      expect([reply.status, reply.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    });

    it('logs out by the cookie, ends the session and clears the cookie', async () => {
      const alice = await registerUser(server);
      const signedIn = await login<TokenPairBody>(server, { login: alice.user.username, password: alice.password, refreshCookie: true });
      const cookie = refreshCookieOf(signedIn)!.value;
      const out = await call(server, 'POST', '/api/v1/auth/logout', { body: {}, headers: withCookie(cookie) });
      expect(out.status).toBe(204);
      expect(refreshCookieOf(out)).toMatchObject({ value: '', attributes: expect.arrayContaining(['path=/api/v1/auth']) });
      expect((await call(server, 'GET', '/api/v1/me', { token: signedIn.body.accessToken })).status).toBe(401);
      expect((await call(server, 'POST', '/api/v1/auth/refresh', { body: {}, headers: withCookie(cookie) })).status).toBe(401);
    });

    it('keeps the body mode for other clients: the token in the body and no cookie', async () => {
      const alice = await registerUser(server);
      const signedIn = await login<TokenPairBody>(server, { login: alice.user.username, password: alice.password });
      expect(signedIn.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(refreshCookieOf(signedIn)).toBeUndefined();
      const refreshed = await call<TokenPairBody>(server, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: signedIn.body.refreshToken } });
      expect(refreshed.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(refreshCookieOf(refreshed)).toBeUndefined();
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, identityDb, refresh } from './identity-http.js';

for (const engines of ENGINE_SETS) {
  describe(`refresh tokens (${engines})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ engines });
    });
    afterAll(async () => {
      await server?.stop();
    });

    const me = (token: string) => call(server, 'GET', '/api/v1/me', { token });

    it('stores only a hash of each refresh token', async () => {
      const alice = await registerUser(server);
      const rows = await identityDb(server).selectFrom('identity.refresh_tokens').select('token_hash').execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((row) => row.token_hash)).not.toContain(alice.refreshToken);
      expect(Buffer.from(alice.refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);
    });

    it('rotates: each refresh returns a new pair that works', async () => {
      const alice = await registerUser(server);
      const first = await refresh(server, alice.refreshToken);
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(alice.refreshToken);
      expect((await me(first.body.accessToken)).status).toBe(200);
      const second = await refresh(server, first.body.refreshToken);
      expect(second.status).toBe(200);
      expect((await me(second.body.accessToken)).status).toBe(200);
    });

    it('answers a used refresh token with TOKEN_REUSED and revokes the whole family, newest tokens included', async () => {
      const alice = await registerUser(server);
      const rotated = await refresh(server, alice.refreshToken);
      const reused = await refresh(server, alice.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.error.code).toBe('TOKEN_REUSED');
      expect((await refresh(server, rotated.body.refreshToken)).status).toBe(401);
      expect((await me(rotated.body.accessToken)).body.error.code).toBe('TOKEN_INVALID');
      expect((await me(alice.accessToken)).status).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes with the same token succeed and treats the other as reuse', async () => {
      const alice = await registerUser(server);
      const results = await Promise.all([refresh(server, alice.refreshToken), refresh(server, alice.refreshToken)]);
      const statuses = results.map((result) => result.status).sort();
      expect(statuses).toEqual([200, 401]);
      const winner = results.find((result) => result.status === 200)!;
      const loser = results.find((result) => result.status === 401)!;
      expect(loser.body.error.code).toBe('TOKEN_REUSED');
      // The documented choice: the family is revoked, so the winner's pair is dead too.
      expect((await refresh(server, winner.body.refreshToken)).status).toBe(401);
      expect((await me(winner.body.accessToken)).status).toBe(401);
    });

    it('refuses an unknown refresh token with TOKEN_INVALID', async () => {
      const response = await refresh(server, 'A'.repeat(43));
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('TOKEN_INVALID');
    });

    it('logs out: 204, the session ends, its tokens stop working, and logging out again is harmless', async () => {
      const alice = await registerUser(server);
      const out = await call(server, 'POST', '/api/v1/auth/logout', { body: { refreshToken: alice.refreshToken } });
      expect(out.status).toBe(204);
      expect((await me(alice.accessToken)).status).toBe(401);
      expect((await refresh(server, alice.refreshToken)).status).toBe(401);
      expect((await call(server, 'POST', '/api/v1/auth/logout', { body: { refreshToken: alice.refreshToken } })).status).toBe(204);
    });
  });
}

import type { Session } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { isEventEnvelope } from '../../packages/server/src/platform/outbox/outbox.js';
import { eventually } from '../support/adapter-fixtures.js';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, login, refresh } from './identity-http.js';

for (const engines of ENGINE_SETS) {
  describe(`sessions (${engines})`, () => {
    let server: TestServer;
    // Events as the relay publishes them: what the realtime gateway sees.
    const published: Record<string, unknown>[] = [];
    beforeAll(async () => {
      server = await startTestServer({ engines });
      server.adapters.bus.subscribe('kaif.ev.user.*.sessions', (payload) => {
        if (isEventEnvelope(payload)) published.push(payload.body as Record<string, unknown>);
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    const sessionsOf = (token: string) => call<{ sessions: Session[] }>(server, 'GET', '/api/v1/auth/sessions', { token });
    const revokedEvents = async (userId: string, expected = 1) => {
      const mine = () => published.filter((event) => event.userId === userId);
      await eventually(() => mine().length >= expected, 5000).catch(() => undefined);
      return mine();
    };

    it('keeps one session per sign-in with client name and IP, and marks the current one', async () => {
      const alice = await registerUser(server);
      const phone = await call(server, 'POST', '/api/v1/auth/login', {
        headers: { 'user-agent': 'KaifPhone/1.0' },
        body: { login: alice.user.username, password: alice.password },
      });
      await login(server, { login: alice.user.username, password: alice.password, clientName: 'Desktop app' });
      const listed = await sessionsOf((phone.body as unknown as { accessToken: string }).accessToken);
      expect(listed.body.sessions).toHaveLength(3);
      const current = listed.body.sessions.filter((session) => session.current);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ clientName: 'KaifPhone/1.0', ip: '127.0.0.1' });
      expect(listed.body.sessions.map((session) => session.clientName)).toContain('Desktop app');
      expect(Date.parse(current[0]!.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(current[0]!.createdAt));
    });

    it('records activity on authenticated requests at most once a minute', async () => {
      const alice = await registerUser(server);
      const db = server.adapters.db.kysely<IdentityTables>();
      const longAgo = new Date('2020-01-01T00:00:00Z');
      const lastSeen = async () =>
        (await db.selectFrom('identity.sessions').select('last_seen_at').where('user_id', '=', alice.user.id).executeTakeFirstOrThrow())
          .last_seen_at;
      await db.updateTable('identity.sessions').set({ last_seen_at: longAgo }).where('user_id', '=', alice.user.id).execute();
      await call(server, 'GET', '/api/v1/me', { token: alice.accessToken });
      expect((await lastSeen()).getTime()).toBeGreaterThan(Date.now() - 60_000);
      await db.updateTable('identity.sessions').set({ last_seen_at: longAgo }).where('user_id', '=', alice.user.id).execute();
      await call(server, 'GET', '/api/v1/me', { token: alice.accessToken });
      expect((await lastSeen()).getTime()).toBe(longAgo.getTime());
    });

    it('revokes a session: its tokens stop working and a SessionsRevokedEvent is enqueued', async () => {
      const alice = await registerUser(server);
      const other = await login(server, { login: alice.user.username, password: alice.password, clientName: 'Laptop' });
      const target = (await sessionsOf(alice.accessToken)).body.sessions.find((session) => session.clientName === 'Laptop')!;
      expect((await call(server, 'DELETE', `/api/v1/auth/sessions/${target.id}`, { token: alice.accessToken })).status).toBe(204);
      expect((await call(server, 'GET', '/api/v1/me', { token: other.body.accessToken })).status).toBe(401);
      expect((await refresh(server, other.body.refreshToken)).status).toBe(401);
      expect((await sessionsOf(alice.accessToken)).body.sessions.map((session) => session.id)).not.toContain(target.id);
      expect(await revokedEvents(alice.user.id)).toEqual([
        { type: 'sessions.revoked', userId: alice.user.id, sessionIds: [target.id], reason: 'revoked' },
      ]);
    });

    it('answers 404 SESSION_NOT_FOUND for another user’s session', async () => {
      const alice = await registerUser(server);
      const mallory = await registerUser(server);
      const aliceSession = (await sessionsOf(alice.accessToken)).body.sessions[0]!;
      const response = await call(server, 'DELETE', `/api/v1/auth/sessions/${aliceSession.id}`, { token: mallory.accessToken });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('SESSION_NOT_FOUND');
      expect((await call(server, 'GET', '/api/v1/me', { token: alice.accessToken })).status).toBe(200);
    });

    it('enqueues a token_reused event for the family a reused refresh token ends', async () => {
      const alice = await registerUser(server);
      await refresh(server, alice.refreshToken);
      await refresh(server, alice.refreshToken);
      const events = await revokedEvents(alice.user.id);
      expect(events).toEqual([expect.objectContaining({ reason: 'token_reused', sessionIds: [expect.any(String)] })]);
    });

    it('enqueues an event for every other session when the password changes', async () => {
      const alice = await registerUser(server);
      await login(server, { login: alice.user.username, password: alice.password });
      await call(server, 'POST', '/api/v1/me/password', {
        token: alice.accessToken,
        body: { currentPassword: alice.password, newPassword: `${alice.password}-new` },
      });
      const [event] = await revokedEvents(alice.user.id);
      expect(event).toMatchObject({ reason: 'password_changed', sessionIds: [expect.any(String)] });
    });

    it('publishes the event on the bus once the relay runs', async () => {
      const alice = await registerUser(server);
      const received: unknown[] = [];
      const unsubscribe = server.adapters.bus.subscribe(`kaif.ev.user.${alice.user.id}.sessions`, (payload) => received.push(payload));
      try {
        await call(server, 'POST', '/api/v1/auth/logout', { body: { refreshToken: alice.refreshToken } });
        await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(0);
        expect(received[0]).toMatchObject({ body: { type: 'sessions.revoked', userId: alice.user.id, reason: 'logout' } });
      } finally {
        unsubscribe();
      }
    });
  });
}

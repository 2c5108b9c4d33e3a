import type { User } from '@kaif/protocol';
import { type JWTPayload, SignJWT, decodeProtectedHeader, importPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, call, identityDb, login, newAdmin } from './identity-http.js';

interface Jwks {
  keys: { kid: string; kty: string; crv: string; x: string; alg: string; use: string }[];
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const engines of ENGINE_SETS) {
  describe(`access tokens (${engines})`, () => {
    let server: TestServer;
    let alice: Awaited<ReturnType<typeof registerUser>>;
    let claims: { sub: string; sid: string; role: string };

    /** Signs with the server's own current private key, so only the claims under test are wrong. */
    async function signWithServerKey(payload: JWTPayload, header: Record<string, string> = {}): Promise<string> {
      const row = await identityDb(server)
        .selectFrom('identity.signing_keys')
        .selectAll()
        .where('retired_at', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      const key = await importPKCS8(server.adapters.secrets.open(row.private_key_sealed, row.kid), 'EdDSA');
      return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: row.kid, ...header }).sign(key);
    }

    const now = () => Math.floor(Date.now() / 1000);
    const goodPayload = () => ({ ...claims, iss: 'kaif-lake', aud: 'kaif', iat: now(), exp: now() + 300 });
    const me = (token: string) => call(server, 'GET', '/api/v1/me', { token });

    beforeAll(async () => {
      server = await startTestServer({ engines });
      alice = await registerUser(server);
      const payload = JSON.parse(Buffer.from(alice.accessToken.split('.')[1]!, 'base64url').toString()) as typeof claims;
      claims = { sub: payload.sub, sid: payload.sid, role: payload.role };
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('issues EdDSA at+jwt tokens for audience kaif with sub, sid, role and kid, living at most 15 minutes', async () => {
      const header = decodeProtectedHeader(alice.accessToken);
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
      const payload = JSON.parse(Buffer.from(alice.accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(payload).toMatchObject({ aud: 'kaif', iss: 'kaif-lake', sub: alice.user.id, sid: expect.any(String), role: 'user' });
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(900);
    });

    it('accepts a token the server key signs with the right claims (the control for the cases below)', async () => {
      expect((await me(await signWithServerKey(goodPayload()))).status).toBe(200);
    });

    it('rejects alg none', async () => {
      const kid = decodeProtectedHeader(alice.accessToken).kid;
      const token = `${base64url({ alg: 'none', typ: 'at+jwt', kid })}.${base64url(goodPayload())}.`;
      const response = await me(token);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('TOKEN_INVALID');
    });

    it('rejects HS256 signed with the public key as the HMAC secret', async () => {
      const jwks = (await call<Jwks>(server, 'GET', '/.well-known/jwks.json')).body;
      const jwk = jwks.keys[0]!;
      for (const secret of [JSON.stringify(jwk), jwk.x, Buffer.from(jwk.x, 'base64url').toString('latin1')]) {
        const token = await new SignJWT(goodPayload())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })
          .sign(new TextEncoder().encode(secret));
        expect((await me(token)).status).toBe(401);
      }
    });

    it('rejects an expired token', async () => {
      const token = await signWithServerKey({ ...goodPayload(), iat: now() - 1000, exp: now() - 10 });
      expect((await me(token)).body.error.code).toBe('TOKEN_INVALID');
    });

    it('rejects a token for another audience, another issuer or another typ', async () => {
      expect((await me(await signWithServerKey({ ...goodPayload(), aud: 'not-kaif' }))).status).toBe(401);
      expect((await me(await signWithServerKey({ ...goodPayload(), iss: 'someone-else' }))).status).toBe(401);
      expect((await me(await signWithServerKey(goodPayload(), { typ: 'JWT' }))).status).toBe(401);
    });

    it('rejects a refresh token presented as an access token', async () => {
      const response = await me(alice.refreshToken);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('TOKEN_INVALID');
    });

    it('rejects the access token of a revoked session at once', async () => {
      const bob = await registerUser(server);
      const second = await login(server, { login: bob.user.username, password: bob.password });
      const sessionId = JSON.parse(Buffer.from(second.body.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
      expect((await me(second.body.accessToken)).status).toBe(200);
      expect((await call(server, 'DELETE', `/api/v1/auth/sessions/${sessionId}`, { token: bob.accessToken })).status).toBe(204);
      expect((await me(second.body.accessToken)).body.error.code).toBe('TOKEN_INVALID');
      expect((await me(bob.accessToken)).status).toBe(200);
    });

    it('rejects a malformed Authorization header but ignores other schemes', async () => {
      expect((await call(server, 'GET', '/api/v1/me', { headers: { authorization: 'Bearer' } })).body.error.code).toBe('TOKEN_INVALID');
      expect((await call(server, 'GET', '/api/v1/me', { headers: { authorization: 'Basic Zm9vOmJhcg==' } })).body.error.code).toBe(
        'UNAUTHORIZED',
      );
    });

    it('answers a bad token with 401 on any route, even one that does not exist', async () => {
      const response = await call(server, 'GET', '/api/v1/no-such-route', { token: 'junk' });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('TOKEN_INVALID');
    });

    it('lets refresh and login through with a stale bearer header still attached', async () => {
      const stale = { authorization: 'Bearer expired.or.junk' };
      const signedIn = await call(server, 'POST', '/api/v1/auth/login', {
        headers: stale,
        body: { login: alice.user.username, password: alice.password },
      });
      expect(signedIn.status).toBe(200);
    });

    it('verifies a token through /auth/verify', async () => {
      const verified = await call<{ user: User }>(server, 'POST', '/api/v1/auth/verify', { body: { token: alice.accessToken } });
      expect(verified.body.user).toEqual(alice.user);
      expect((await call(server, 'POST', '/api/v1/auth/verify', { body: { token: alice.refreshToken } })).status).toBe(401);
      await expect(server.service('identity').authenticate(alice.accessToken)).resolves.toMatchObject({ userId: alice.user.id });
    });

    it('rotates the signing key: the new key signs, old tokens verify until expiry, the JWKS lists both', async () => {
      const admin = await newAdmin(server);
      const oldKid = decodeProtectedHeader(admin).kid;
      const rotated = await call<{ kid: string }>(server, 'POST', '/api/v1/admin/signing-keys/rotate', { token: admin });
      expect(rotated.status).toBe(200);
      expect(rotated.body.kid).not.toBe(oldKid);

      expect((await me(admin)).status).toBe(200);
      const fresh = await login(server, { login: alice.user.username, password: alice.password });
      expect(decodeProtectedHeader(fresh.body.accessToken).kid).toBe(rotated.body.kid);
      expect((await me(fresh.body.accessToken)).status).toBe(200);

      const jwks = await call<Jwks>(server, 'GET', '/.well-known/jwks.json');
      expect(jwks.body.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
      for (const key of jwks.body.keys) {
        expect(key).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: key.kid, alg: 'EdDSA', use: 'sig' });
      }
    });

    it('refuses key rotation to a non-admin', async () => {
      const bob = await registerUser(server);
      expect((await call(server, 'POST', '/api/v1/admin/signing-keys/rotate', { token: bob.accessToken })).status).toBe(403);
    });
  });
}

describe('access token lifetime', () => {
  it('follows KAIF_ACCESS_TOKEN_TTL', async () => {
    const server = await startTestServer({ env: { KAIF_ACCESS_TOKEN_TTL: '60' } });
    try {
      const alice = await registerUser(server);
      const payload = JSON.parse(Buffer.from(alice.accessToken.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
      expect(payload.exp - payload.iat).toBe(60);
    } finally {
      await server.stop();
    }
  });
});

import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';

/** How the forging provider signs the ID token it returns. */
export type IdTokenForgery = 'valid' | 'signed-by-another-key' | 'expired';

export interface StubProvider {
  readonly url: string;
  stop(): Promise<void>;
}

export interface ForgingOidcProvider extends StubProvider {
  readonly clientId: string;
  forge(mode: IdTokenForgery): void;
}

/** Token endpoints take form posts (RFC 6749 §4.1.3). */
function stubApp(): FastifyInstance {
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  return app;
}

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/**
 * A minimal OpenID provider for the two checks a real one will not fail:
 * it publishes one key in its JWKS and, on request, signs the ID token with
 * another, or issues one that expired an hour ago. Everything else
 * (discovery, state, nonce, iss in the callback) is as a real provider does it.
 */
export async function startForgingOidcProvider(): Promise<ForgingOidcProvider> {
  const app = stubApp();
  const published = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(published.publicKey)), kid: 'published', alg: 'ES256', use: 'sig' };
  const clientId = 'kaif-forged';
  const nonces = new Map<string, string>();
  let mode: IdTokenForgery = 'valid';
  let url = '';

  app.get('/.well-known/openid-configuration', async () => ({
    issuer: url,
    authorization_endpoint: `${url}/authorize`,
    token_endpoint: `${url}/token`,
    jwks_uri: `${url}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  }));
  app.get('/jwks', async () => ({ keys: [jwk] }));
  app.get<{ Querystring: Record<string, string> }>('/authorize', async (request, reply) => {
    const code = randomUUID();
    nonces.set(code, request.query.nonce ?? '');
    const back = new URL(request.query.redirect_uri!);
    back.search = new URLSearchParams({ code, state: request.query.state ?? '', iss: url }).toString();
    return reply.redirect(back.href, 302);
  });
  app.post<{ Body: Record<string, string> }>('/token', async (request) => {
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = mode === 'expired' ? now - 7200 : now;
    const idToken = await new SignJWT({ nonce: nonces.get(request.body.code ?? ''), email: 'forged@example.com', email_verified: true })
      .setProtectedHeader({ alg: 'ES256', kid: 'published' })
      .setIssuer(url)
      .setAudience(clientId)
      .setSubject('forged-subject')
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 3600)
      .sign(mode === 'signed-by-another-key' ? other.privateKey : published.privateKey);
    return { access_token: randomUUID(), token_type: 'Bearer', expires_in: 3600, id_token: idToken };
  });
  url = await listen(app);
  return {
    url,
    clientId,
    forge(next) {
      mode = next;
    },
    stop: () => app.close(),
  };
}

/** GitHub's OAuth endpoints and the two API calls we make, for one fixed GitHub user. */
export async function startGithubStub(user: { id: number; login: string; name: string; email: string }): Promise<StubProvider> {
  const app = stubApp();
  const tokens = new Set<string>();
  const codes = new Set<string>();
  app.get<{ Querystring: Record<string, string> }>('/login/oauth/authorize', async (request, reply) => {
    const code = randomUUID();
    codes.add(code);
    const back = new URL(request.query.redirect_uri!);
    back.search = new URLSearchParams({ code, state: request.query.state ?? '' }).toString();
    return reply.redirect(back.href, 302);
  });
  app.post<{ Body: Record<string, string> }>('/login/oauth/access_token', async (request, reply) => {
    if (!codes.delete(request.body.code ?? '')) return reply.send({ error: 'bad_verification_code' });
    const token = randomUUID();
    tokens.add(token);
    return { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' };
  });
  const authorized = (header: string | undefined) => tokens.has((header ?? '').replace(/^Bearer /, ''));
  app.get('/user', async (request, reply) => (authorized(request.headers.authorization) ? { id: user.id, login: user.login, name: user.name } : reply.status(401).send({})));
  app.get('/user/emails', async (request, reply) =>
    authorized(request.headers.authorization) ? [{ email: user.email, primary: true, verified: true }] : reply.status(401).send({}),
  );
  const url = await listen(app);
  return { url, stop: () => app.close() };
}

/**
 * VK ID's authorize, token and user_info endpoints as its public docs
 * describe them (id.vk.com, OAuth 2.1): the callback adds `device_id`, the
 * token request must repeat it with `state` and the PKCE verifier.
 */
export async function startVkStub(user: { user_id: number; first_name: string; last_name: string }): Promise<StubProvider> {
  const app = stubApp();
  const codes = new Map<string, { challenge: string; deviceId: string }>();
  const tokens = new Set<string>();
  app.get<{ Querystring: Record<string, string> }>('/authorize', async (request, reply) => {
    const code = randomUUID();
    const deviceId = randomUUID();
    codes.set(code, { challenge: request.query.code_challenge ?? '', deviceId });
    const back = new URL(request.query.redirect_uri!);
    back.search = new URLSearchParams({ code, state: request.query.state ?? '', device_id: deviceId, type: 'code_v2', expires_in: '600' }).toString();
    return reply.redirect(back.href, 302);
  });
  app.post<{ Body: Record<string, string> }>('/oauth2/auth', async (request, reply) => {
    const issued = codes.get(request.body.code ?? '');
    codes.delete(request.body.code ?? '');
    const challenge = createHash('sha256').update(request.body.code_verifier ?? '').digest('base64url');
    if (!issued || issued.challenge !== challenge || issued.deviceId !== request.body.device_id) {
      return reply.status(400).send({ error: 'invalid_grant' });
    }
    const token = randomUUID();
    tokens.add(token);
    return { access_token: token, token_type: 'Bearer', expires_in: 3600, user_id: user.user_id, state: request.body.state };
  });
  app.post<{ Body: Record<string, string> }>('/oauth2/user_info', async (request, reply) =>
    tokens.has(request.body.access_token ?? '') ? { user: { ...user, email: 'vk-user@vk.example' } } : reply.status(401).send({ error: 'invalid_token' }),
  );
  const url = await listen(app);
  return { url, stop: () => app.close() };
}

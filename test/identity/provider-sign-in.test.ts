import { randomUUID } from 'node:crypto';
import type { ExternalIdentityList, Me } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/modules/identity/two-factor/totp.js';
import { registerUser, uniqueUsername } from '../support/accounts.js';
import { type LocalOidcProvider, type ProviderAccount, startLocalOidcProvider } from '../support/local-oidc-provider.js';
import { type ForgingOidcProvider, type StubProvider, startForgingOidcProvider, startGithubStub, startVkStub } from '../support/provider-stubs.js';
import { RedirectBrowser } from '../support/redirect-browser.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ENGINE_SETS, type ErrorBody, type TokenPairBody, call, identityDb, login } from './identity-http.js';

interface SignedIn extends TokenPairBody {
  readonly user: { readonly id: string; readonly username: string; readonly displayName: string };
}

const GITHUB_USER = { id: 583231, login: 'octocat', name: 'The Octocat', email: 'octocat@github.example' };
const VK_USER = { user_id: 1234567, first_name: 'Pavel', last_name: 'Durov' };

for (const engines of ENGINE_SETS) {
  describe(`sign-in with other providers (${engines})`, () => {
    let server: TestServer;
    let local: LocalOidcProvider;
    let forging: ForgingOidcProvider;
    let github: StubProvider;
    let vk: StubProvider;

    beforeAll(async () => {
      [local, forging, github, vk] = await Promise.all([
        startLocalOidcProvider(),
        startForgingOidcProvider(),
        startGithubStub(GITHUB_USER),
        startVkStub(VK_USER),
      ]);
      const providers = [
        { id: 'local', name: 'Local OpenID', kind: 'oidc', issuer: local.issuer, clientId: local.clientId, clientSecret: local.clientSecret },
        { id: 'forged', name: 'Forged', kind: 'oidc', issuer: forging.url, clientId: forging.clientId, clientSecret: 'unused-secret' },
        {
          id: 'github',
          name: 'GitHub',
          kind: 'github',
          clientId: 'gh-client',
          clientSecret: 'gh-secret',
          authorizationEndpoint: `${github.url}/login/oauth/authorize`,
          tokenEndpoint: `${github.url}/login/oauth/access_token`,
          apiUrl: github.url,
        },
        {
          id: 'vk',
          name: 'VK ID',
          kind: 'vk',
          clientId: 'vk-client',
          authorizationEndpoint: `${vk.url}/authorize`,
          tokenEndpoint: `${vk.url}/oauth2/auth`,
          userInfoEndpoint: `${vk.url}/oauth2/user_info`,
        },
        // Nothing listens on port 1: discovery fails.
        { id: 'down', name: 'Down', kind: 'oidc', issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 'down-secret' },
      ];
      server = await startTestServer({ engines, env: { KAIF_OAUTH_PROVIDERS: JSON.stringify(providers) } });
      local.register(`${server.url}/api/v1/auth/providers/local/callback`);
    });
    afterAll(async () => {
      await server?.stop();
      await Promise.all([local?.stop(), forging?.stop(), github?.stop(), vk?.stop()]);
    });

    const atWebClient = (url: URL) => url.origin === server.url && (url.pathname === '/' || url.pathname === '/settings');
    const fragment = (url: URL) => new URLSearchParams(url.hash.slice(1));

    /** A new provider account; the local provider signs it in next. */
    function nextAccount(extra: Partial<ProviderAccount> = {}): ProviderAccount {
      const account = { sub: randomUUID(), preferredUsername: uniqueUsername('oidc'), name: 'Ola Provider', ...extra };
      local.signInNext(account);
      return account;
    }

    /** The whole browser side: start, provider, callback; returns where the browser lands in the web client. */
    async function signInWith(provider: string, browser = new RedirectBrowser(), rewrite?: (url: URL) => URL): Promise<URL> {
      return browser.walk(`${server.url}/api/v1/auth/providers/${provider}/start`, atWebClient, rewrite);
    }

    const exchange = <T = SignedIn & ErrorBody>(code: string, extra: Record<string, unknown> = {}) =>
      call<T>(server, 'POST', '/api/v1/auth/providers/exchange', { body: { code, ...extra } });

    async function signedIn(landing: URL): Promise<SignedIn> {
      const code = fragment(landing).get('sign-in-code');
      expect(code, landing.hash).toBeTruthy();
      const result = await exchange(code!);
      expect(result.status).toBe(200);
      return result.body;
    }

    /** The provider's redirect back to us, stopped before the callback runs. */
    const atCallback = (provider: string) => (url: URL) => url.pathname === `/api/v1/auth/providers/${provider}/callback`;

    it('lists the configured providers, without their settings', async () => {
      const listed = await call<{ providers: unknown[] }>(server, 'GET', '/api/v1/auth/providers');
      expect(listed.body.providers).toEqual([
        { id: 'local', name: 'Local OpenID' },
        { id: 'forged', name: 'Forged' },
        { id: 'github', name: 'GitHub' },
        { id: 'vk', name: 'VK ID' },
        { id: 'down', name: 'Down' },
      ]);
    });

    it('answers 503 when a provider cannot be reached, through its own breaker', async () => {
      const start = await call(server, 'GET', '/api/v1/auth/providers/down/start');
      expect(start.status).toBe(503);
      expect(start.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      const metrics = await (await fetch(`${server.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/kaif_dependency_call_duration_seconds_count\{[^}]*dependency="oauth:down",outcome="error"\} [1-9]/);
    });

    it('creates an account on a first sign-in, and signs the same account in the next time', async () => {
      const account = nextAccount({ email: `${randomUUID()}@provider.example` });
      const first = await signedIn(await signInWith('local'));
      expect(first.user.username).toBe(account.preferredUsername);
      expect(first.user.displayName).toBe('Ola Provider');
      const me = await call<Me>(server, 'GET', '/api/v1/me', { token: first.accessToken });
      expect(me.body.email).toBe(account.email);
      const again = await signedIn(await signInWith('local'));
      expect(again.user.id).toBe(first.user.id);
      const refreshed = await call(server, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: again.refreshToken } });
      expect(refreshed.status).toBe(200);
    });

    it('makes one account when the same provider account signs in twice at once', async () => {
      nextAccount();
      const browsers = [new RedirectBrowser(), new RedirectBrowser(), new RedirectBrowser()];
      const callbacks = await Promise.all(browsers.map((browser) => browser.walk(`${server.url}/api/v1/auth/providers/local/start`, atCallback('local'))));
      const landings = await Promise.all(browsers.map((browser, index) => browser.walk(callbacks[index]!.href, atWebClient)));
      const users = await Promise.all(landings.map(async (landing) => (await signedIn(landing)).user.id));
      expect(new Set(users).size).toBe(1);
    });

    it('sends the browser to the provider with PKCE, state and nonce, and no secret', async () => {
      const response = await fetch(`${server.url}/api/v1/auth/providers/local/start`, { redirect: 'manual' });
      const location = new URL(response.headers.get('location')!);
      expect(location.origin).toBe(local.issuer);
      expect(location.searchParams.get('code_challenge_method')).toBe('S256');
      for (const name of ['code_challenge', 'state', 'nonce']) expect(location.searchParams.get(name)).toMatch(/^[\w-]{43}$/);
      expect(location.href).not.toContain(local.clientSecret);
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('kaif_sign_in_flow='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).toMatch(/Path=\/api\/v1\/auth\/providers/);
    });

    it('makes a valid, unique username when the provider’s is taken or unusable', async () => {
      const taken = await registerUser(server);
      nextAccount({ preferredUsername: taken.user.username });
      const clash = await signedIn(await signInWith('local'));
      expect(clash.user.username).not.toBe(taken.user.username);
      expect(clash.user.username.toLowerCase().startsWith(taken.user.username.toLowerCase().slice(0, 20))).toBe(true);
      nextAccount({ preferredUsername: '42', name: 'Иван' });
      expect((await signedIn(await signInWith('local'))).user.username).toMatch(/^user\d*$/);
    });

    it('never signs in to an existing account because the provider reports its email', async () => {
      const owner = await registerUser(server);
      nextAccount({ email: owner.email, emailVerified: true });
      const stranger = await signedIn(await signInWith('local'));
      expect(stranger.user.id).not.toBe(owner.user.id);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: stranger.accessToken })).body.email).toBeNull();
      const ownerLinks = await call<ExternalIdentityList>(server, 'GET', '/api/v1/me/identities', { token: owner.accessToken });
      expect(ownerLinks.body.identities).toEqual([]);
      expect((await login(server, { login: owner.email, password: owner.password })).body.accessToken).toBeTruthy();
    });

    it('hands over a one-time code that works once', async () => {
      nextAccount();
      const code = fragment(await signInWith('local')).get('sign-in-code')!;
      expect((await exchange(code)).status).toBe(200);
      const again = await exchange(code);
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe('SIGN_IN_CODE_INVALID');
      const stored = await identityDb(server).selectFrom('identity.sign_in_codes').select('code_hash').execute();
      expect(stored.map((row) => row.code_hash)).not.toContain(code);
    });

    it('refuses a callback in a browser that did not start the flow, or with a changed state', async () => {
      nextAccount();
      const attacker = new RedirectBrowser();
      const callback = await attacker.walk(`${server.url}/api/v1/auth/providers/local/start`, atCallback('local'));
      const victim = new RedirectBrowser();
      const forced = await victim.walk(callback.href, atWebClient);
      expect(fragment(forced).get('sign-in-error')).toBe('SIGN_IN_STATE_INVALID');
      expect(fragment(forced).has('sign-in-code')).toBe(false);

      const browser = new RedirectBrowser();
      const landing = await signInWith('local', browser, (url) => {
        if (atCallback('local')(url)) url.searchParams.set('state', 'A'.repeat(43));
        return url;
      });
      expect(fragment(landing).get('sign-in-error')).toBe('SIGN_IN_STATE_INVALID');
    });

    it('refuses a mix-up: another issuer in the response, or the answer delivered to another provider’s callback', async () => {
      nextAccount();
      const wrongIssuer = await signInWith('local', new RedirectBrowser(), (url) => {
        if (atCallback('local')(url)) url.searchParams.set('iss', forging.url);
        return url;
      });
      expect(fragment(wrongIssuer).get('sign-in-error')).toBe('PROVIDER_SIGN_IN_FAILED');
      const browser = new RedirectBrowser();
      const callback = await browser.walk(`${server.url}/api/v1/auth/providers/local/start`, atCallback('local'));
      const elsewhere = new URL(callback);
      elsewhere.pathname = '/api/v1/auth/providers/github/callback';
      expect(fragment(await browser.walk(elsewhere.href, atWebClient)).get('sign-in-error')).toBe('SIGN_IN_STATE_INVALID');
    });

    it('refuses a replayed authorization code', async () => {
      nextAccount();
      const browser = new RedirectBrowser();
      const callback = await browser.walk(`${server.url}/api/v1/auth/providers/local/start`, atCallback('local'));
      const first = await browser.walk(callback.href, atWebClient);
      expect(fragment(first).get('sign-in-code')).toBeTruthy();
      // The same callback again: its flow is spent.
      expect(fragment(await browser.walk(callback.href, atWebClient)).get('sign-in-error')).toBe('SIGN_IN_STATE_INVALID');
      // The old code under a fresh flow's state: the provider refuses the spent code.
      const fresh = await browser.walk(`${server.url}/api/v1/auth/providers/local/start`, (url) => url.origin === local.issuer);
      const replay = new URL(callback);
      replay.searchParams.set('state', fresh.searchParams.get('state')!);
      expect(fragment(await browser.walk(replay.href, atWebClient)).get('sign-in-error')).toBe('PROVIDER_SIGN_IN_FAILED');
      const refused = server.logs.filter((line) => line.msg === 'provider sign-in refused' && line.provider === 'local').at(-1);
      expect(refused?.providerError).toBe('invalid_grant');
    });

    it('refuses an ID token whose nonce is not the one this browser’s flow expects', async () => {
      nextAccount();
      const landing = await signInWith('local', new RedirectBrowser(), (url) => {
        if (url.origin === local.issuer && url.searchParams.has('nonce')) url.searchParams.set('nonce', 'n'.repeat(43));
        return url;
      });
      expect(fragment(landing).get('sign-in-error')).toBe('PROVIDER_SIGN_IN_FAILED');
      expect(server.logs.some((line) => line.msg === 'provider sign-in refused' && String(line.check).includes('"nonce"'))).toBe(true);
    });

    it('refuses ID tokens signed by a key outside the provider’s JWKS, or expired (forging stub provider)', async () => {
      forging.forge('valid');
      const control = await signedIn(await signInWith('forged'));
      expect(control.user.username).toBe('forged');
      const failedChecks = { 'signed-by-another-key': 'JWT signature verification failed', expired: 'expiration is past current timestamp' };
      for (const [mode, check] of Object.entries(failedChecks) as [keyof typeof failedChecks, string][]) {
        forging.forge(mode);
        expect(fragment(await signInWith('forged')).get('sign-in-error'), mode).toBe('PROVIDER_SIGN_IN_FAILED');
        const refused = server.logs.filter((line) => line.msg === 'provider sign-in refused' && line.provider === 'forged').at(-1);
        expect(String(refused?.check), mode).toContain(check);
      }
      forging.forge('valid');
    });

    it('links a provider to the signed-in account, which then signs in with it', async () => {
      const alice = await registerUser(server);
      const account = nextAccount();
      const browser = new RedirectBrowser();
      const started = await fetch(`${server.url}/api/v1/auth/providers/local/link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      expect(started.status).toBe(200);
      browser.keep(new URL(server.url), started);
      const { location } = (await started.json()) as { location: string };
      const landing = await browser.walk(location, atWebClient);
      expect(landing.pathname).toBe('/settings');
      expect(fragment(landing).get('linked')).toBe('local');
      const links = await call<ExternalIdentityList>(server, 'GET', '/api/v1/me/identities', { token: alice.accessToken });
      expect(links.body).toMatchObject({ hasPassword: true, identities: [{ provider: 'local', providerName: 'Local OpenID' }] });
      local.signInNext(account);
      expect((await signedIn(await signInWith('local'))).user.id).toBe(alice.user.id);

      // That provider account cannot also be linked to somebody else.
      const bob = await registerUser(server);
      const bobStart = await fetch(`${server.url}/api/v1/auth/providers/local/link`, { method: 'POST', headers: { authorization: `Bearer ${bob.accessToken}` } });
      const bobBrowser = new RedirectBrowser();
      bobBrowser.keep(new URL(server.url), bobStart);
      const refused = await bobBrowser.walk(((await bobStart.json()) as { location: string }).location, atWebClient);
      expect(fragment(refused).get('link-error')).toBe('EXTERNAL_IDENTITY_IN_USE');
    });

    it('refuses linking without a signed-in account', async () => {
      const response = await call(server, 'POST', '/api/v1/auth/providers/local/link');
      expect(response.status).toBe(401);
    });

    it('unlinks only while another way to sign in remains', async () => {
      nextAccount();
      const providerOnly = await signedIn(await signInWith('local'));
      const last = await call(server, 'DELETE', '/api/v1/me/identities/local', { token: providerOnly.accessToken });
      expect(last.status).toBe(409);
      expect(last.body.error.code).toBe('LAST_SIGN_IN_METHOD');
      const github = await call(server, 'POST', '/api/v1/auth/providers/github/link', { token: providerOnly.accessToken });
      expect(github.status).toBe(200);

      const alice = await registerUser(server);
      const account = nextAccount();
      const browser = new RedirectBrowser();
      const started = await fetch(`${server.url}/api/v1/auth/providers/local/link`, { method: 'POST', headers: { authorization: `Bearer ${alice.accessToken}` } });
      browser.keep(new URL(server.url), started);
      await browser.walk(((await started.json()) as { location: string }).location, atWebClient);
      const unlinked = await call(server, 'DELETE', '/api/v1/me/identities/local', { token: alice.accessToken });
      expect(unlinked.status).toBe(204);
      const missing = await call(server, 'DELETE', '/api/v1/me/identities/local', { token: alice.accessToken });
      expect(missing.body.error.code).toBe('EXTERNAL_IDENTITY_NOT_FOUND');
      local.signInNext(account);
      expect((await signedIn(await signInWith('local'))).user.id).not.toBe(alice.user.id);
    });

    it('still asks for the authenticator code when 2FA is on, and keeps the one-time code for that retry', async () => {
      nextAccount();
      const first = await signedIn(await signInWith('local'));
      const setup = await call<{ secret: string }>(server, 'POST', '/api/v1/auth/2fa/setup', { token: first.accessToken });
      await call(server, 'POST', '/api/v1/auth/2fa/enable', { token: first.accessToken, body: { code: totpCode(setup.body.secret) } });
      const code = fragment(await signInWith('local')).get('sign-in-code')!;
      const without = await exchange(code);
      expect(without.body.error.code).toBe('TOTP_REQUIRED');
      const withCode = await exchange(code, { totp: totpCode(setup.body.secret, { timestampMs: Date.now() + 30_000 }) });
      expect(withCode.status).toBe(200);
      expect(withCode.body.user.id).toBe(first.user.id);
    });

    it('signs in with GitHub (plain OAuth 2) by its numeric user id', async () => {
      const first = await signedIn(await signInWith('github'));
      expect(first.user).toMatchObject({ username: 'octocat', displayName: 'The Octocat' });
      expect((await signedIn(await signInWith('github'))).user.id).toBe(first.user.id);
      const row = await identityDb(server).selectFrom('identity.external_identities').selectAll().where('provider', '=', 'github').executeTakeFirstOrThrow();
      expect(row.subject).toBe(String(GITHUB_USER.id));
    });

    it('signs in with VK ID (OAuth 2.1, device_id) by its numeric user id, not trusting its unverified email', async () => {
      const first = await signedIn(await signInWith('vk'));
      expect(first.user.displayName).toBe('Pavel Durov');
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: first.accessToken })).body.email).toBeNull();
      expect((await signedIn(await signInWith('vk'))).user.id).toBe(first.user.id);
      const row = await identityDb(server).selectFrom('identity.external_identities').selectAll().where('provider', '=', 'vk').executeTakeFirstOrThrow();
      expect(row.subject).toBe(String(VK_USER.user_id));
      const tampered = await signInWith('vk', new RedirectBrowser(), (url) => {
        if (atCallback('vk')(url)) url.searchParams.set('device_id', 'another-device');
        return url;
      });
      expect(fragment(tampered).get('sign-in-error')).toBe('PROVIDER_SIGN_IN_FAILED');
    });

    it('keeps provider secrets and codes out of the logs', async () => {
      const logs = server.rawLogs.join('\n');
      expect(logs).not.toContain(local.clientSecret);
      expect(logs).not.toContain('gh-secret');
      expect(logs).not.toContain('down-secret');
      expect(logs).not.toContain('sign-in-code=');
    });
  });
}

describe('sign-in with other providers, none configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists no providers and knows none', async () => {
    expect((await call<{ providers: unknown[] }>(server, 'GET', '/api/v1/auth/providers')).body).toEqual({ providers: [] });
    const start = await call(server, 'GET', '/api/v1/auth/providers/google/start');
    expect(start.status).toBe(404);
    expect(start.body.error.code).toBe('PROVIDER_NOT_FOUND');
  });
});

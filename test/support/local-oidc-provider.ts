import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** Who the local provider signs in next: tests pick a fresh subject for each case. */
export interface ProviderAccount {
  readonly sub: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly name?: string;
  readonly preferredUsername?: string;
}

export interface LocalOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Registers the relying party's callback: the server under test gets its port only after the provider is up. */
  register(redirectUri: string): void;
  /** The account the next authorization signs in (no login form: an interaction route logs it in and grants consent). */
  signInNext(account: ProviderAccount): void;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider 8, the certified one) on loopback.
 * Dev interactions are off; a small interaction route logs in the account
 * the test chose and grants the requested scopes, as a user clicking
 * "Allow" would.
 */
export async function startLocalOidcProvider(): Promise<LocalOidcProvider> {
  let handle: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server: Server = createServer((request, response) => {
    if (handle) handle(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'kaif-test';
  const clientSecret = randomUUID();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'local-1', alg: 'RS256', use: 'sig' };
  let next: ProviderAccount = { sub: randomUUID() };
  // oidc-provider's own in-memory store, subclassed: it warns when it finds its quick-start default.
  const memoryAdapterPath: string = 'oidc-provider/lib/adapters/memory_adapter.js';
  const { default: MemoryAdapter } = (await import(memoryAdapterPath)) as { default: new (model: string) => object };
  class TestStore extends MemoryAdapter {}

  return {
    issuer,
    clientId,
    clientSecret,
    register(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code'] }],
        adapter: TestStore as never,
        jwks: { keys: [signingKey as never] },
        cookies: { keys: [randomUUID()] },
        features: { devInteractions: { enabled: false } },
        ttl: { AccessToken: 600, IdToken: 600, Grant: 600, Interaction: 600, Session: 600 },
        pkce: { required: () => true, methods: ['S256'] },
        // The ID token carries the scope's claims, so the relying party needs no userinfo call.
        conformIdTokenClaims: false,
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        async findAccount(_ctx, sub) {
          const account = next.sub === sub ? next : { sub };
          return {
            accountId: sub,
            async claims() {
              return {
                sub,
                ...(account.email === undefined ? {} : { email: account.email, email_verified: account.emailVerified ?? true }),
                ...(account.name === undefined ? {} : { name: account.name }),
                ...(account.preferredUsername === undefined ? {} : { preferred_username: account.preferredUsername }),
              };
            },
          };
        },
      });
      const oidcHandler = provider.callback();
      handle = (request, response) => {
        if (!request.url?.startsWith('/interaction/')) return void oidcHandler(request, response);
        void (async () => {
          const details = await provider.interactionDetails(request, response);
          const grant = new provider.Grant({ accountId: next.sub, clientId: String(details.params.client_id) });
          grant.addOIDCScope(String(details.params.scope));
          const grantId = await grant.save();
          await provider.interactionFinished(request, response, { login: { accountId: next.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
        })().catch((error: unknown) => response.writeHead(500).end(String(error)));
      };
    },
    signInNext(account) {
      next = account;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

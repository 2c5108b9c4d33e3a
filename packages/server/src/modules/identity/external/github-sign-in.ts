import * as oidc from 'openid-client';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';
import type { GithubProviderSettings } from './provider-settings.js';
import { isLoopbackHttp, policyFetch } from './provider-fetch.js';
import type { FlowSecrets, SignInProvider, VerifiedExternalIdentity } from './sign-in-provider.js';

interface GithubUser {
  readonly id: number;
  readonly login: string;
  readonly name: string | null;
}

interface GithubEmail {
  readonly email: string;
  readonly primary: boolean;
  readonly verified: boolean;
}

/**
 * GitHub: OAuth 2 without OpenID Connect, so there is no ID token to check;
 * the identity comes from `GET /user` with the access token, which only
 * GitHub's token endpoint (reached over TLS) can have issued for our client
 * and this code. The code exchange still uses PKCE and state through
 * openid-client. The subject is GitHub's numeric user id: logins can be
 * renamed and then taken by someone else.
 */
export class GithubSignIn implements SignInProvider {
  readonly id: string;
  readonly name: string;
  private readonly config: oidc.Configuration;
  private readonly apiUrl: string;
  private readonly fetch: oidc.CustomFetch;

  constructor(settings: GithubProviderSettings, policy: DependencyPolicy) {
    this.id = settings.id;
    this.name = settings.name;
    const authorizationEndpoint = settings.authorizationEndpoint ?? 'https://github.com/login/oauth/authorize';
    this.apiUrl = (settings.apiUrl ?? 'https://api.github.com').replace(/\/$/, '');
    this.config = new oidc.Configuration(
      {
        issuer: new URL(authorizationEndpoint).origin,
        authorization_endpoint: authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint ?? 'https://github.com/login/oauth/access_token',
      },
      settings.clientId,
      undefined,
      oidc.ClientSecretPost(settings.clientSecret),
    );
    this.fetch = policyFetch(policy);
    this.config[oidc.customFetch] = this.fetch;
    if (isLoopbackHttp(authorizationEndpoint)) oidc.allowInsecureRequests(this.config);
  }

  async authorizationUrl(redirectUri: string, flow: FlowSecrets): Promise<URL> {
    return oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: redirectUri,
      scope: 'read:user user:email',
      state: flow.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async finish(callbackUrl: URL, flow: FlowSecrets): Promise<VerifiedExternalIdentity> {
    const tokens = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
    });
    const user = await this.get<GithubUser>('/user', tokens.access_token);
    // The address list needs the user:email scope; a user may refuse it.
    const emails = await this.get<GithubEmail[]>('/user/emails', tokens.access_token).catch(() => []);
    const primary = emails.find((entry) => entry.primary);
    return {
      provider: this.id,
      subject: String(user.id),
      ...(primary ? { email: primary.email, emailVerified: primary.verified } : {}),
      ...(user.name ? { name: user.name } : {}),
      handle: user.login,
    };
  }

  private async get<T>(path: string, accessToken: string): Promise<T> {
    const response = await this.fetch(`${this.apiUrl}${path}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json' },
      body: undefined,
      redirect: 'manual',
    } as oidc.CustomFetchOptions);
    if (!response.ok) throw new Error(`GitHub answered ${path} with ${response.status}`);
    const body = (await response.json()) as T;
    if (path === '/user' && typeof (body as GithubUser).id !== 'number') throw new Error('GitHub returned a user without an id');
    return body;
  }
}

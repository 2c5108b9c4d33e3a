import * as oidc from 'openid-client';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';
import { policyFetch } from './provider-fetch.js';
import type { VkProviderSettings } from './provider-settings.js';
import type { FlowSecrets, SignInProvider, VerifiedExternalIdentity } from './sign-in-provider.js';

interface VkTokens {
  readonly access_token?: unknown;
  readonly state?: unknown;
}

interface VkUserInfo {
  readonly user?: { readonly user_id?: unknown; readonly first_name?: unknown; readonly last_name?: unknown; readonly email?: unknown };
}

/**
 * VK ID (OAuth 2.1): authorization code with PKCE (S256) and state, like
 * the others, plus two quirks openid-client does not know: the callback
 * carries a `device_id` that the token request must repeat, and the token
 * request repeats `state`, which VK echoes back. The exchange is therefore
 * two plain form POSTs through the provider's policy; the identity comes
 * from `user_info` with the fresh access token (as for GitHub, the token
 * endpoint over TLS vouches for it), and the subject is VK's numeric user
 * id. VK does not say whether the email is verified, so it is not trusted.
 */
export class VkSignIn implements SignInProvider {
  readonly id: string;
  readonly name: string;
  private readonly authorizationEndpoint: string;
  private readonly tokenEndpoint: string;
  private readonly userInfoEndpoint: string;
  private readonly fetch: oidc.CustomFetch;

  constructor(
    private readonly settings: VkProviderSettings,
    policy: DependencyPolicy,
  ) {
    this.id = settings.id;
    this.name = settings.name;
    this.authorizationEndpoint = settings.authorizationEndpoint ?? 'https://id.vk.com/authorize';
    this.tokenEndpoint = settings.tokenEndpoint ?? 'https://id.vk.com/oauth2/auth';
    this.userInfoEndpoint = settings.userInfoEndpoint ?? 'https://id.vk.com/oauth2/user_info';
    this.fetch = policyFetch(policy);
  }

  async authorizationUrl(redirectUri: string, flow: FlowSecrets): Promise<URL> {
    const url = new URL(this.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: redirectUri,
      scope: 'email',
      state: flow.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    }).toString();
    return url;
  }

  async finish(callbackUrl: URL, flow: FlowSecrets): Promise<VerifiedExternalIdentity> {
    const code = callbackUrl.searchParams.get('code');
    const deviceId = callbackUrl.searchParams.get('device_id');
    if (!code || !deviceId) throw new Error('VK ID callback without code or device_id');
    const redirectUri = `${callbackUrl.origin}${callbackUrl.pathname}`;
    const tokens = await this.post<VkTokens>(this.tokenEndpoint, {
      grant_type: 'authorization_code',
      code,
      code_verifier: flow.codeVerifier,
      client_id: this.settings.clientId,
      device_id: deviceId,
      redirect_uri: redirectUri,
      state: flow.state,
    });
    if (typeof tokens.access_token !== 'string') throw new Error('VK ID returned no access token');
    if (tokens.state !== undefined && tokens.state !== flow.state) throw new Error('VK ID token response has another state');
    const info = await this.post<VkUserInfo>(this.userInfoEndpoint, { client_id: this.settings.clientId, access_token: tokens.access_token });
    const user = info.user;
    if (!user || (typeof user.user_id !== 'string' && typeof user.user_id !== 'number')) throw new Error('VK ID returned no user id');
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    const name = [text(user.first_name), text(user.last_name)].filter(Boolean).join(' ');
    const email = text(user.email);
    return {
      provider: this.id,
      subject: String(user.user_id),
      ...(email ? { email, emailVerified: false } : {}),
      ...(name ? { name } : {}),
    };
  }

  private async post<T>(url: string, form: Record<string, string>): Promise<T> {
    const response = await this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    } as oidc.CustomFetchOptions);
    const body = (await response.json().catch(() => ({}))) as T & { error?: unknown };
    if (!response.ok || body.error !== undefined) {
      throw Object.assign(new Error(`VK ID answered ${new URL(url).pathname} with ${response.status}`), {
        error: typeof body.error === 'string' ? body.error : undefined,
      });
    }
    return body;
  }
}

import * as oidc from 'openid-client';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';
import type { OidcProviderSettings } from './provider-settings.js';
import { isLoopbackHttp, policyFetch } from './provider-fetch.js';
import type { FlowSecrets, SignInProvider, VerifiedExternalIdentity } from './sign-in-provider.js';

const DEFAULT_SCOPE = 'openid email profile';

/**
 * OpenID Connect with openid-client: discovery from the issuer, then the
 * authorization code flow with PKCE (S256), state and nonce. openid-client
 * checks the ID token's iss (the discovered issuer), aud (our client id),
 * exp and iat, nonce, and — enabled here — its signature against the
 * provider's JWKS; with RFC 9207 it also checks the `iss` of the callback.
 */
export class OidcSignIn implements SignInProvider {
  readonly id: string;
  readonly name: string;
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: OidcProviderSettings,
    private readonly policy: DependencyPolicy,
  ) {
    this.id = settings.id;
    this.name = settings.name;
  }

  async authorizationUrl(redirectUri: string, flow: FlowSecrets): Promise<URL> {
    const config = await this.configured();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: this.settings.scope ?? DEFAULT_SCOPE,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async finish(callbackUrl: URL, flow: FlowSecrets): Promise<VerifiedExternalIdentity> {
    const config = await this.configured();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('the provider returned no ID token');
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    return {
      provider: this.id,
      subject: claims.sub,
      email: text(claims.email),
      emailVerified: claims.email_verified === true,
      name: text(claims.name),
      handle: text(claims.preferred_username) ?? text(claims.nickname),
    };
  }

  /** Discovery runs at the first sign-in, not at start, so a provider that is down does not stop the server; a failure is retried next time. */
  private configured(): Promise<oidc.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  private async discover(): Promise<oidc.Configuration> {
    const insecure = isLoopbackHttp(this.settings.issuer);
    const config = await oidc.discovery(
      new URL(this.settings.issuer),
      this.settings.clientId,
      undefined,
      oidc.ClientSecretBasic(this.settings.clientSecret),
      { [oidc.customFetch]: policyFetch(this.policy), ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
    );
    config[oidc.customFetch] = policyFetch(this.policy);
    oidc.enableNonRepudiationChecks(config);
    return config;
  }
}

import type { AuthResult, SignInCodeRequest } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { ClientInfo, SignIn } from '../accounts/sign-in.js';
import type { FloodControl } from '../credentials/flood-control.js';
import type { LoginThrottle } from '../credentials/login-throttle.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { TwoFactorService } from '../two-factor/two-factor-service.js';
import type { ExternalAccounts } from './external-accounts.js';
import { SignInCodes } from './sign-in-codes.js';
import { type SignInFlows, flowSecrets, sameState } from './sign-in-flows.js';
import type { SignInProvider, VerifiedExternalIdentity } from './sign-in-provider.js';

/** What the callback hands the browser back to the web client with. */
export type CallbackOutcome =
  | { readonly kind: 'signed-in'; readonly code: string }
  | { readonly kind: 'linked'; readonly provider: string }
  /** A link flow the account could not complete (the provider account belongs to someone else). */
  | { readonly kind: 'link-refused'; readonly code: string };

/**
 * Sign-in with other providers, end to end: start (a flow bound to the
 * browser), callback (checks, then sign in, create or link), and the trade
 * of the one-time code for tokens, where 2FA applies as for a password.
 */
export class ExternalSignIn {
  constructor(
    private readonly providers: ReadonlyMap<string, SignInProvider>,
    private readonly flows: SignInFlows,
    private readonly accounts: ExternalAccounts,
    private readonly sessions: SessionStore,
    private readonly signIn: SignIn,
    private readonly twoFactor: TwoFactorService,
    private readonly throttle: LoginThrottle,
    private readonly flood: FloodControl,
    private readonly logger: Logger,
  ) {}

  list(): { id: string; name: string }[] {
    return [...this.providers.values()].map((provider) => ({ id: provider.id, name: provider.name }));
  }

  /** Records the flow and returns the provider's URL and the secret for the browser's flow cookie. */
  async start(providerId: string, redirectUri: string, linkUserId: string | null): Promise<{ location: string; flowSecret: string }> {
    const provider = this.provider(providerId);
    const flowSecret = await this.flows.begin(provider.id, linkUserId);
    const location = await provider.authorizationUrl(redirectUri, flowSecrets(flowSecret)).catch((error: unknown) => {
      if (error instanceof KaifError) throw error;
      this.logger.warn({ provider: provider.id, err: (error as Error).message }, 'provider discovery failed');
      throw new KaifError('DEPENDENCY_UNAVAILABLE', `${provider.name} cannot be reached; try again later`, { retryAfter: 5 });
    });
    return { location: location.href, flowSecret };
  }

  /**
   * The provider's redirect back. In order: the flow cookie's state equals
   * the callback's (CSRF); the flow is taken once and was started for this
   * provider (mix-up: each provider has its own callback path); then the
   * provider checks the code, PKCE, issuer, nonce and the ID token.
   */
  async callback(providerId: string, callbackUrl: URL, flowSecret: string | undefined, ip: string): Promise<CallbackOutcome> {
    const provider = this.provider(providerId);
    if (flowSecret === undefined) throw new KaifError('SIGN_IN_STATE_INVALID');
    const secrets = flowSecrets(flowSecret);
    if (!sameState(secrets.state, callbackUrl.searchParams.get('state') ?? undefined)) throw new KaifError('SIGN_IN_STATE_INVALID');
    const flow = await this.flows.claim(flowSecret);
    if (!flow || flow.provider !== provider.id) throw new KaifError('SIGN_IN_STATE_INVALID');
    if (callbackUrl.searchParams.has('error')) throw new KaifError('PROVIDER_SIGN_IN_FAILED', 'The provider did not sign you in');
    const identity = await provider.finish(callbackUrl, secrets).catch((error: unknown) => {
      if (error instanceof KaifError) throw error;
      // openid-client's message and code, the inner check's message (which
      // claim failed) and the provider's OAuth error name: none holds a token.
      const { message, code, cause, error: providerError } = error as { message: string; code?: string; cause?: { message?: string }; error?: string };
      this.logger.warn({ provider: provider.id, err: message, errorCode: code, check: cause?.message, providerError }, 'provider sign-in refused');
      throw new KaifError('PROVIDER_SIGN_IN_FAILED');
    });
    if (flow.linkUserId !== null) {
      try {
        await this.accounts.link(flow.linkUserId, identity);
      } catch (error) {
        if (error instanceof KaifError && error.code === 'EXTERNAL_IDENTITY_IN_USE') return { kind: 'link-refused', code: error.code };
        throw error;
      }
      return { kind: 'linked', provider: provider.id };
    }
    // Two first sign-ins of one provider account at once: the loser's insert
    // hits the (provider, subject) key, and its retry finds the winner's link.
    const code = await this.signInOrCreate(identity, ip).catch((error: unknown) =>
      (error as { code?: string }).code === '23505' ? this.signInOrCreate(identity, ip) : Promise.reject(error),
    );
    return { kind: 'signed-in', code };
  }

  /** Trades the one-time code for a session; with 2FA on, a TOTP or recovery code is needed as with a password. */
  async exchange(request: SignInCodeRequest, client: ClientInfo): Promise<AuthResult> {
    let signedInUser = '';
    const result = await this.sessions.transact(async (trx) => {
      const userId = await SignInCodes.spend(trx, request.code);
      const user = await trx.selectFrom('identity.users').select('disabled_at').where('id', '=', userId).executeTakeFirstOrThrow();
      if (user.disabled_at) throw new KaifError('ACCOUNT_DISABLED');
      const twoFactor = await trx.selectFrom('identity.two_factor').select('enabled_at').where('user_id', '=', userId).executeTakeFirst();
      if (twoFactor?.enabled_at) {
        // Thrown inside the transaction, so the code stays unspent for the retry with a code.
        if (!request.totp) throw new KaifError('TOTP_REQUIRED');
        await this.twoFactor.assertCode(trx, userId, request.totp);
      }
      signedInUser = userId;
      return this.signIn.startSession(trx, userId, client);
    });
    await this.throttle.remember(signedInUser, client.ip);
    return result;
  }

  private signInOrCreate(identity: VerifiedExternalIdentity, ip: string): Promise<string> {
    return this.sessions.transact(async (trx) => {
      let userId = await this.accounts.userFor(trx, identity);
      if (userId === undefined) {
        // A new account counts against the same per-IP limit as a registration.
        await this.flood.attempt('register-ip', ip);
        userId = await this.accounts.createAccount(trx, identity);
      }
      return SignInCodes.issue(trx, userId);
    });
  }

  private provider(id: string): SignInProvider {
    const provider = this.providers.get(id);
    if (!provider) throw new KaifError('PROVIDER_NOT_FOUND');
    return provider;
  }
}

import type { Backend, SignInInput, SignUpInput } from './backend.js';
import { toShownError } from './errors.js';
import { Messenger } from './messenger.js';
import { type ProviderReturn, takeProviderReturn } from './provider-return.js';
import { Store } from './store.js';
import type { Me } from './types.js';

/** A provider sign-in that came back to the sign-in screen: it needs the 2FA code, or it failed. */
export type ProviderSignIn =
  | { readonly status: 'none' }
  | { readonly status: 'needs-code'; readonly code: string }
  | { readonly status: 'failed'; readonly error: { readonly code: string; readonly message: string } };

export type SessionState =
  | { readonly status: 'restoring' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'signed-in'; readonly me: Me };

/**
 * Who is signed in on this device. Signing in starts the messenger (chat
 * list, realtime connection); signing out stops it and forgets everything.
 */
export class Session {
  readonly state = new Store<SessionState>({ status: 'restoring' });
  readonly providerSignIn = new Store<ProviderSignIn>({ status: 'none' });
  /** How the page was reached back from a provider, if it was; the settings screen shows link results. */
  readonly providerReturn: ProviderReturn | null;
  readonly messenger: Messenger;
  readonly backend: Backend;

  constructor(backend: Backend) {
    this.backend = backend;
    this.messenger = new Messenger(backend);
    backend.onSessionEnded(() => void this.signOut());
    this.providerReturn = typeof location === 'undefined' ? null : takeProviderReturn();
  }

  async restore(): Promise<void> {
    const back = this.providerReturn;
    if (back?.kind === 'code') {
      try {
        await this.#enter(await this.backend.signInWithProviderCode(back.code));
        return;
      } catch (error) {
        const shown = toShownError(error);
        this.providerSignIn.update(() =>
          shown.code === 'TOTP_REQUIRED' ? { status: 'needs-code', code: back.code } : { status: 'failed', error: shown },
        );
      }
    }
    if (back?.kind === 'sign-in-error') this.providerSignIn.update(() => ({ status: 'failed', error: toShownError({ code: back.code, message: '' }) }));
    const me = await this.backend.resume().catch(() => null);
    if (me) await this.#enter(me);
    else this.state.update(() => ({ status: 'signed-out' }));
  }

  async signIn(input: SignInInput): Promise<void> {
    await this.#enter(await this.backend.signIn(input));
  }

  /** Finishes a provider sign-in that stopped for the 2FA code. */
  async signInWithProviderCode(code: string, totp: string): Promise<void> {
    await this.#enter(await this.backend.signInWithProviderCode(code, totp));
    this.providerSignIn.update(() => ({ status: 'none' }));
  }

  async signUp(input: SignUpInput): Promise<void> {
    await this.#enter(await this.backend.signUp(input));
  }

  async signOut(): Promise<void> {
    await this.backend.signOut().catch(() => undefined);
    this.messenger.stop();
    this.state.update(() => ({ status: 'signed-out' }));
  }

  /** Re-reads /me after a change such as enabling 2FA. */
  async reloadMe(): Promise<void> {
    const me = await this.backend.me();
    this.state.update(() => ({ status: 'signed-in', me }));
  }

  async #enter(me: Me): Promise<void> {
    this.state.update(() => ({ status: 'signed-in', me }));
    await this.messenger.start(me).catch(() => undefined);
  }
}

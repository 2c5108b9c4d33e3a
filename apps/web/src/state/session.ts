import type { Backend, SignInInput, SignUpInput } from './backend.js';
import { Messenger } from './messenger.js';
import { Store } from './store.js';
import type { Me } from './types.js';

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
  readonly messenger: Messenger;
  readonly backend: Backend;

  constructor(backend: Backend) {
    this.backend = backend;
    this.messenger = new Messenger(backend);
    backend.onSessionEnded(() => void this.signOut());
  }

  async restore(): Promise<void> {
    const me = await this.backend.resume().catch(() => null);
    if (me) await this.#enter(me);
    else this.state.update(() => ({ status: 'signed-out' }));
  }

  async signIn(input: SignInInput): Promise<void> {
    await this.#enter(await this.backend.signIn(input));
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

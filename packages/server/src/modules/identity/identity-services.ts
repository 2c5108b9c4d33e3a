import type { AccountSettings } from './accounts/account-settings.js';
import type { AdminBootstrap } from './accounts/admin-bootstrap.js';
import type { PrivacySettings } from './accounts/privacy-settings.js';
import type { SignIn } from './accounts/sign-in.js';
import type { UserDirectory } from './accounts/user-directory.js';
import type { RefreshRotation } from './sessions/refresh-rotation.js';
import type { SessionStore } from './sessions/session-store.js';
import type { SigningKeyRing } from './tokens/signing-keys.js';
import type { TwoFactorService } from './two-factor/two-factor-service.js';
import type { IdentityApi } from './api.js';
import type { ExternalAccounts } from './external/external-accounts.js';
import type { ExternalSignIn } from './external/external-sign-in.js';

/** Everything the identity routes call, built once in init. */
export interface IdentityServices {
  readonly api: IdentityApi;
  readonly signIn: SignIn;
  readonly rotation: RefreshRotation;
  readonly sessions: SessionStore;
  readonly users: UserDirectory;
  readonly settings: AccountSettings;
  readonly privacy: PrivacySettings;
  readonly twoFactor: TwoFactorService;
  readonly keys: SigningKeyRing;
  readonly adminBootstrap: AdminBootstrap;
  readonly external: ExternalSignIn;
  readonly externalAccounts: ExternalAccounts;
}

import type { PresenceVisibility, SessionId, UserId } from '@kaif/protocol';
import type { Principal } from '../../platform/http/principal.js';

/** A user as anyone may see them; email only on /me. */
export interface PublicUser {
  readonly id: UserId;
  readonly username: string;
  readonly displayName: string;
  readonly createdAt: string;
}

/**
 * Published through the outbox on `sessionsRevokedSubject(userId)` when
 * sessions end early: revoked, logged out, password changed, 2FA switched,
 * refresh-token reuse, account disabled. `sessionIds: null` means every
 * session of the user. Live connections of those sessions must close.
 */
export interface SessionsRevokedEvent {
  readonly type: 'sessions.revoked';
  readonly userId: UserId;
  readonly sessionIds: readonly SessionId[] | null;
  readonly reason: 'revoked' | 'logout' | 'password_changed' | 'two_factor_changed' | 'token_reused' | 'account_disabled';
}

export const sessionsRevokedSubject = (userId: UserId) => `kaif.ev.user.${userId}.sessions`;

/** The identity module's public interface. */
export interface IdentityApi {
  /**
   * Verifies an access token (signature, `typ`, audience, expiry) and that
   * its session is still live and the account enabled. Throws KaifError
   * TOKEN_INVALID otherwise.
   */
  authenticate(accessToken: string): Promise<Principal>;
  getUser(id: UserId): Promise<PublicUser | undefined>;
  /** The users that exist among `ids`, in no particular order. */
  getUsers(ids: readonly UserId[]): Promise<PublicUser[]>;
  /** Who may see the user's presence (their privacy setting); `nobody` for an unknown user. */
  presenceVisibilityOf(userId: UserId): Promise<PresenceVisibility>;
  /**
   * For an action that needs the second factor when the user has it on
   * (a withdrawal): passes when 2FA is off; otherwise spends the TOTP or
   * recovery code once, or throws TOTP_REQUIRED (no code), TOTP_INVALID or
   * FLOOD_WAIT, like sign-in.
   */
  assertSecondFactor(userId: UserId, code: string | undefined): Promise<void>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    identity: IdentityApi;
  }
}

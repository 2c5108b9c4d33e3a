import { randomUUID } from 'node:crypto';
import { type AuthResult, type LoginRequest, type RegisterRequest, type SessionId, type UserId, normalizeDisplayText } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { FloodControl } from '../credentials/flood-control.js';
import type { LoginAttempt, LoginThrottle } from '../credentials/login-throttle.js';
import type { PasswordHasher } from '../credentials/password-hasher.js';
import { assertAcceptablePassword } from '../credentials/password-policy.js';
import type { IdentityDb } from '../identity-tables.js';
import type { IdentityTransaction, SessionStore } from '../sessions/session-store.js';
import type { TokenIssuer } from '../tokens/token-issuer.js';
import type { TwoFactorService } from '../two-factor/two-factor-service.js';
import { toPublicUser } from './user-directory.js';

/** Where a sign-in comes from, recorded on its session. */
export interface ClientInfo {
  readonly name: string;
  readonly ip: string;
}

/**
 * Registration and password sign-in. Provider sign-in (external/) is the
 * second way to reach `startSession`.
 */
export class SignIn {
  constructor(
    private readonly db: IdentityDb,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionStore,
    private readonly issuer: TokenIssuer,
    private readonly twoFactor: TwoFactorService,
    private readonly flood: FloodControl,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(request: RegisterRequest, client: ClientInfo): Promise<AuthResult> {
    await this.flood.attempt('register-ip', client.ip);
    const displayName = request.displayName === undefined ? request.username : normalizeDisplayText(request.displayName);
    if (displayName === '') {
      throw new KaifError('VALIDATION_FAILED', 'displayName must hold a visible character', { field: 'displayName' });
    }
    assertAcceptablePassword(request.password, request);
    await this.assertAvailable(request.username, request.email);
    const passwordHash = await this.hasher.hash(request.password);
    const id = randomUUID();
    try {
      const result = await this.sessions.transact(async (trx) => {
        await trx
          .insertInto('identity.users')
          .values({
            id,
            username: request.username,
            email: request.email,
            display_name: displayName,
            role: 'user',
            password_hash: passwordHash,
            disabled_at: null,
          })
          .execute();
        return this.startSession(trx, id, client);
      });
      await this.throttle.remember(id, client.ip);
      return result;
    } catch (error) {
      throw uniqueViolation(error) ?? error;
    }
  }

  async login(request: LoginRequest, client: ClientInfo): Promise<AuthResult> {
    const login = request.login.trim().toLowerCase();
    const user = await this.db
      .selectFrom('identity.users')
      .select(['id', 'password_hash', 'disabled_at'])
      .where((eb) => eb.or([eb('username_key', '=', login), eb('email_key', '=', login)]))
      .executeTakeFirst();
    // Unknown logins are counted under their own name, so they hit the same
    // limits at the same point as real accounts.
    const attempt: LoginAttempt = { accountKey: user ? `user:${user.id}` : `login:${login}`, userId: user?.id, ip: client.ip };
    await this.throttle.admit(attempt);
    // An account made by a provider sign-in has no password: it answers like an unknown login.
    const passwordMatches = user?.password_hash
      ? await this.hasher.verify(user.password_hash, request.password)
      : await this.hasher.verifyNobody(request.password);
    if (!user?.password_hash || !passwordMatches) throw new KaifError('INVALID_CREDENTIALS');
    await this.throttle.passwordAccepted(attempt);
    if (user.disabled_at) throw new KaifError('ACCOUNT_DISABLED');
    const needsCode = await this.twoFactor.isEnabled(user.id);
    if (needsCode && !request.totp) throw new KaifError('TOTP_REQUIRED');
    const result = await this.sessions.transact(async (trx) => {
      if (needsCode) await this.twoFactor.assertCode(trx, user.id, request.totp!);
      return this.startSession(trx, user.id, client);
    });
    await this.throttle.remember(user.id, client.ip);
    return result;
  }

  /** Opens a session and issues its tokens, inside the caller's transaction (password and provider sign-in both end here). */
  async startSession(trx: IdentityTransaction, userId: string, client: ClientInfo): Promise<AuthResult> {
    const user = await trx
      .selectFrom('identity.users')
      .select(['id', 'username', 'display_name', 'created_at', 'role'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const sessionId: SessionId = await this.sessions.create(trx, userId, client);
    const pair = await this.issuer.issue(trx, { userId: userId as UserId, sessionId, role: user.role });
    return { user: toPublicUser(user), ...pair };
  }

  private async assertAvailable(username: string, email: string): Promise<void> {
    const taken = await this.db
      .selectFrom('identity.users')
      .select(['username_key', 'email_key'])
      .where((eb) => eb.or([eb('username_key', '=', username.toLowerCase()), eb('email_key', '=', email.toLowerCase())]))
      .execute();
    if (taken.some((row) => row.username_key === username.toLowerCase())) throw new KaifError('USERNAME_TAKEN');
    if (taken.length > 0) throw new KaifError('EMAIL_TAKEN');
  }
}

/** A registration that lost a race for the same username or email. */
function uniqueViolation(error: unknown): KaifError | undefined {
  const { code, constraint, message } = (error ?? {}) as { code?: string; constraint?: string; message?: string };
  if (code !== '23505') return undefined;
  const where = `${constraint ?? ''} ${message ?? ''}`;
  if (where.includes('username')) return new KaifError('USERNAME_TAKEN');
  if (where.includes('email')) return new KaifError('EMAIL_TAKEN');
  return undefined;
}

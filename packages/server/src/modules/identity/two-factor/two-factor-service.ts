import type { UserId } from '@kaif/protocol';
import { toDataURL } from 'qrcode';
import type { SecretBox } from '../../../platform/crypto/secret-box.js';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { Principal } from '../../../platform/http/principal.js';
import type { FloodControl } from '../credentials/flood-control.js';
import type { IdentityDb } from '../identity-tables.js';
import type { IdentityTransaction, SessionStore } from '../sessions/session-store.js';
import { looksLikeRecoveryCode, newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import { matchTotpStep, newTotpSecret, otpauthUrl } from './totp.js';

export interface TwoFactorSetup {
  readonly secret: string;
  readonly otpauthUrl: string;
  readonly qrCode: string;
}

/**
 * TOTP second factor. Secrets are sealed at rest with the user id as
 * associated data. Each time-step is accepted once per user and each
 * recovery code once; both are claimed with a conditional UPDATE, so two
 * concurrent uses of one code cannot both pass.
 */
export class TwoFactorService {
  constructor(
    private readonly db: IdentityDb,
    private readonly secrets: SecretBox,
    private readonly sessions: SessionStore,
    private readonly flood: FloodControl,
  ) {}

  async isEnabled(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('identity.two_factor')
      .select('enabled_at')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Boolean(row?.enabled_at);
  }

  /** Starts (or restarts) setup with a fresh pending secret. */
  async setup(userId: UserId, username: string): Promise<TwoFactorSetup> {
    if (await this.isEnabled(userId)) throw new KaifError('TWO_FACTOR_ALREADY_ENABLED');
    const secret = newTotpSecret();
    const sealed = this.secrets.seal(secret, userId);
    await this.db
      .insertInto('identity.two_factor')
      .values({ user_id: userId, pending_secret_sealed: sealed, secret_sealed: null, enabled_at: null, last_used_step: null })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ pending_secret_sealed: sealed }))
      .execute();
    const url = otpauthUrl(secret, username);
    return { secret, otpauthUrl: url, qrCode: await toDataURL(url) };
  }

  /** Turns 2FA on with a code of the pending secret; ends the user's other sessions. */
  async enable(principal: Principal, code: string): Promise<readonly string[]> {
    const { userId } = principal;
    const row = await this.db.selectFrom('identity.two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (row?.enabled_at) throw new KaifError('TWO_FACTOR_ALREADY_ENABLED');
    if (!row?.pending_secret_sealed) throw new KaifError('TWO_FACTOR_SETUP_REQUIRED');
    await this.flood.attempt('code-account', userId);
    const step = /^\d{6}$/.test(code) ? matchTotpStep(this.secrets.open(row.pending_secret_sealed, userId), code) : null;
    if (step === null) throw new KaifError('TOTP_INVALID');
    const recoveryCodes = newRecoveryCodes();
    await this.sessions.transact(async (trx, revoke) => {
      const enabled = await trx
        .updateTable('identity.two_factor')
        .set({ secret_sealed: row.pending_secret_sealed, pending_secret_sealed: null, enabled_at: new Date(), last_used_step: step })
        .where('user_id', '=', userId)
        .where('enabled_at', 'is', null)
        .where('pending_secret_sealed', '=', row.pending_secret_sealed)
        .returning('user_id')
        .executeTakeFirst();
      if (!enabled) throw new KaifError('TWO_FACTOR_SETUP_REQUIRED');
      await trx.deleteFrom('identity.recovery_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('identity.recovery_codes')
        .values(recoveryCodes.map((recoveryCode) => ({ user_id: userId, code_hash: recoveryCodeHash(userId, recoveryCode), used_at: null })))
        .execute();
      await revoke(userId, { kind: 'all-but', sessionId: principal.sessionId }, 'two_factor_changed');
    });
    await this.flood.refund('code-account', userId);
    return recoveryCodes;
  }

  /** Turns 2FA off with a valid TOTP or recovery code; ends the user's other sessions. */
  async disable(principal: Principal, code: string): Promise<void> {
    const { userId } = principal;
    if (!(await this.isEnabled(userId))) throw new KaifError('TWO_FACTOR_NOT_ENABLED');
    await this.sessions.transact(async (trx, revoke) => {
      await this.assertCode(trx, userId, code);
      await trx.deleteFrom('identity.recovery_codes').where('user_id', '=', userId).execute();
      await trx.deleteFrom('identity.two_factor').where('user_id', '=', userId).execute();
      await revoke(userId, { kind: 'all-but', sessionId: principal.sessionId }, 'two_factor_changed');
    });
  }

  /**
   * Checks and spends a TOTP code (its time-step) or a recovery code for a
   * user with 2FA on, counting failures for flood control. Throws
   * TOTP_INVALID or FLOOD_WAIT. Call inside the transaction that acts on it.
   */
  async assertCode(trx: IdentityTransaction, userId: string, code: string): Promise<void> {
    await this.flood.attempt('code-account', userId);
    if (!(await this.spendCode(trx, userId, code))) throw new KaifError('TOTP_INVALID');
    await this.flood.refund('code-account', userId);
  }

  private async spendCode(trx: IdentityTransaction, userId: string, code: string): Promise<boolean> {
    if (looksLikeRecoveryCode(code)) {
      const spent = await trx
        .updateTable('identity.recovery_codes')
        .set({ used_at: new Date() })
        .where('user_id', '=', userId)
        .where('code_hash', '=', recoveryCodeHash(userId, code))
        .where('used_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst();
      return spent !== undefined;
    }
    if (!/^\d{6}$/.test(code)) return false;
    const row = await trx.selectFrom('identity.two_factor').select('secret_sealed').where('user_id', '=', userId).executeTakeFirst();
    if (!row?.secret_sealed) return false;
    const step = matchTotpStep(this.secrets.open(row.secret_sealed, userId), code);
    if (step === null) return false;
    const claimed = await trx
      .updateTable('identity.two_factor')
      .set({ last_used_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .returning('user_id')
      .executeTakeFirst();
    return claimed !== undefined;
  }
}

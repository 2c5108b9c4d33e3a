import { createHash, randomBytes } from 'node:crypto';
import type { UserId } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { IdentityDb } from '../identity-tables.js';

/**
 * How a new server gets its first admin without the first stranger to
 * register claiming it: at the first start with no admin, one code is made,
 * printed once and stored only as its SHA-256; a signed-in account redeems
 * it once (`POST /api/v1/admin/bootstrap`). `kaif admin grant` works at any
 * time. A code is 128 random bits, so its hash needs no slow KDF.
 */
export class AdminBootstrap {
  constructor(
    private readonly db: IdentityDb,
    private readonly logger: Logger,
  ) {}

  /**
   * At start: when no admin exists and no code was ever made, makes one and
   * prints it. Several nodes starting together race for the one row; only
   * the winner prints.
   */
  async offerIfNoAdmin(): Promise<void> {
    if (await this.adminExists()) return;
    const code = randomBytes(16).toString('hex');
    const created = await this.db
      .insertInto('identity.admin_bootstrap')
      .values({ code_hash: codeHash(code) })
      .onConflict((conflict) => conflict.doNothing())
      .returning('singleton')
      .executeTakeFirst();
    if (created) {
      // The one log line that carries a secret, on purpose: at first start
      // the operator has nothing else to read it from. It is printed once,
      // only its hash is stored, and it is spent on first use.
      this.logger.warn(
        { adminBootstrapCode: code },
        'no admin yet: sign in and POST the code to /api/v1/admin/bootstrap to become admin, or run `kaif admin grant <username>`; the code is shown only this once',
      );
    } else {
      this.logger.warn('no admin yet; redeem the bootstrap code printed at first start, or run `kaif admin grant <username>`');
    }
  }

  /** Makes the caller admin when the code is right, unused and no admin exists yet; throws ADMIN_BOOTSTRAP_CODE_INVALID otherwise. */
  async redeem(userId: UserId, code: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Spending the code first locks its row, so of two redemptions racing
      // with the right code exactly one gets past this line.
      const spent = await trx
        .updateTable('identity.admin_bootstrap')
        .set({ used_at: new Date(), used_by: userId })
        .where('code_hash', '=', codeHash(code))
        .where('used_at', 'is', null)
        .returning('singleton')
        .executeTakeFirst();
      const admin = await trx.selectFrom('identity.users').select('id').where('role', '=', 'admin').executeTakeFirst();
      if (!spent || admin) throw new KaifError('ADMIN_BOOTSTRAP_CODE_INVALID');
      await trx.updateTable('identity.users').set({ role: 'admin' }).where('id', '=', userId).execute();
    });
  }

  private async adminExists(): Promise<boolean> {
    return (await this.db.selectFrom('identity.users').select('id').where('role', '=', 'admin').executeTakeFirst()) !== undefined;
  }
}

function codeHash(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

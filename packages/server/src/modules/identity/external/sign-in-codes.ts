import { createHash, randomBytes } from 'node:crypto';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { IdentityTransaction } from '../sessions/session-store.js';

/** The web client trades the code at once; two minutes covers a slow page load. */
export const SIGN_IN_CODE_TTL_MS = 2 * 60_000;

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/**
 * One-time codes that carry a provider sign-in from the callback to the web
 * client: the callback puts one in the URL fragment (never a query, so it
 * reaches no server log, no proxy and no Referer), and the client trades
 * it by POST for the token pair. Only the hash is stored.
 */
export const SignInCodes = {
  async issue(trx: IdentityTransaction, userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await trx
      .insertInto('identity.sign_in_codes')
      .values({ code_hash: hashOf(code), user_id: userId, expires_at: new Date(Date.now() + SIGN_IN_CODE_TTL_MS), used_at: null })
      .execute();
    return code;
  },

  /**
   * Spends the code inside the transaction that starts the session: if that
   * transaction fails (a 2FA code is missing or wrong) the code is unspent
   * and the client may try again until it expires; once the session
   * commits the code is used, and a second claim (a replay, or a race on
   * PostgreSQL's row lock) finds nothing.
   */
  async spend(trx: IdentityTransaction, code: string): Promise<string> {
    const row = await trx
      .updateTable('identity.sign_in_codes')
      .set({ used_at: new Date() })
      .where('code_hash', '=', hashOf(code))
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning('user_id')
      .executeTakeFirst();
    if (!row) throw new KaifError('SIGN_IN_CODE_INVALID');
    return row.user_id;
  },
};

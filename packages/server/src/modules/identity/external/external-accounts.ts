import { randomUUID } from 'node:crypto';
import { type ExternalIdentityList, normalizeDisplayText } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { IdentityDb } from '../identity-tables.js';
import type { IdentityTransaction } from '../sessions/session-store.js';
import type { VerifiedExternalIdentity } from './sign-in-provider.js';
import { usernameBase, usernameCandidates } from './username-proposal.js';

const DISPLAY_NAME_MAX = 64;

/**
 * Provider accounts linked to users. The only key is (provider, subject):
 * an email the provider reports never finds, joins or takes over an
 * existing account — linking needs the account's owner signed in.
 */
export class ExternalAccounts {
  constructor(
    private readonly db: IdentityDb,
    private readonly providerNames: ReadonlyMap<string, string>,
  ) {}

  async userFor(trx: IdentityTransaction, identity: VerifiedExternalIdentity): Promise<string | undefined> {
    const row = await trx
      .selectFrom('identity.external_identities')
      .select('user_id')
      .where('provider', '=', identity.provider)
      .where('subject', '=', identity.subject)
      .executeTakeFirst();
    return row?.user_id;
  }

  /**
   * A new account for a first sign-in: username proposed from the provider's
   * data and made unique, the email kept only when the provider verified it
   * and no account uses it, no password.
   */
  async createAccount(trx: IdentityTransaction, identity: VerifiedExternalIdentity): Promise<string> {
    const candidates = usernameCandidates(usernameBase(identity), 6);
    const taken = new Set(
      (await trx.selectFrom('identity.users').select('username_key').where('username_key', 'in', candidates.map((c) => c.toLowerCase())).execute()).map(
        (row) => row.username_key,
      ),
    );
    const username = candidates.find((candidate) => !taken.has(candidate.toLowerCase()));
    if (!username) throw new KaifError('USERNAME_TAKEN', 'Could not find a free username; try again');
    const email = identity.email && identity.emailVerified ? await this.freeEmail(trx, identity.email) : null;
    const displayName = normalizeDisplayText(identity.name ?? '').slice(0, DISPLAY_NAME_MAX) || username;
    const id = randomUUID();
    await trx
      .insertInto('identity.users')
      .values({ id, username, email, display_name: displayName, role: 'user', password_hash: null, disabled_at: null })
      .execute();
    await this.insertLink(trx, id, identity);
    return id;
  }

  /** Links the provider account to a signed-in user, unless another account holds it or the user already has one at that provider. */
  async link(userId: string, identity: VerifiedExternalIdentity): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const holder = await this.userFor(trx, identity);
      if (holder === userId) return;
      if (holder !== undefined) throw new KaifError('EXTERNAL_IDENTITY_IN_USE');
      const sameProvider = await trx
        .selectFrom('identity.external_identities')
        .select('subject')
        .where('user_id', '=', userId)
        .where('provider', '=', identity.provider)
        .executeTakeFirst();
      if (sameProvider) throw new KaifError('EXTERNAL_IDENTITY_IN_USE', 'Another account at this provider is already linked; unlink it first');
      await this.insertLink(trx, userId, identity);
    });
  }

  /**
   * Unlinks, unless that would leave the account with no way to sign in
   * (no password and no other provider). The user row is locked, so two
   * unlinks at once cannot each leave the other as the last way in.
   */
  async unlink(userId: string, provider: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('identity.users').select('password_hash').where('id', '=', userId).forUpdate().executeTakeFirst();
      if (!user) throw new KaifError('UNAUTHORIZED');
      const linked = await trx.selectFrom('identity.external_identities').select('provider').where('user_id', '=', userId).execute();
      if (!linked.some((row) => row.provider === provider)) throw new KaifError('EXTERNAL_IDENTITY_NOT_FOUND');
      if (user.password_hash === null && linked.length === 1) throw new KaifError('LAST_SIGN_IN_METHOD');
      await trx.deleteFrom('identity.external_identities').where('user_id', '=', userId).where('provider', '=', provider).execute();
    });
  }

  async list(userId: string): Promise<ExternalIdentityList> {
    const [user, rows] = await Promise.all([
      this.db.selectFrom('identity.users').select('password_hash').where('id', '=', userId).executeTakeFirst(),
      this.db
        .selectFrom('identity.external_identities')
        .select(['provider', 'email', 'linked_at'])
        .where('user_id', '=', userId)
        .orderBy('linked_at')
        .execute(),
    ]);
    return {
      hasPassword: Boolean(user?.password_hash),
      identities: rows.map((row) => ({
        provider: row.provider,
        providerName: this.providerNames.get(row.provider) ?? row.provider,
        email: row.email,
        linkedAt: row.linked_at.toISOString(),
      })),
    };
  }

  private async freeEmail(trx: IdentityTransaction, email: string): Promise<string | null> {
    const holder = await trx.selectFrom('identity.users').select('id').where('email_key', '=', email.toLowerCase()).executeTakeFirst();
    return holder ? null : email;
  }

  private async insertLink(trx: IdentityTransaction, userId: string, identity: VerifiedExternalIdentity): Promise<void> {
    await trx
      .insertInto('identity.external_identities')
      .values({ provider: identity.provider, subject: identity.subject, user_id: userId, email: identity.email ?? null })
      .execute();
  }
}

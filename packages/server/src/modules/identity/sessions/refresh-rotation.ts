import type { SessionId, TokenPair, UserId } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';
import { refreshTokenHash } from '../tokens/refresh-token.js';
import type { TokenIssuer } from '../tokens/token-issuer.js';
import type { SessionStore } from './session-store.js';

type RefreshOutcome = { readonly kind: 'rotated'; readonly pair: TokenPair } | { readonly kind: 'reused' } | { readonly kind: 'invalid' };

/**
 * Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP §4.14,
 * RFC 9700). A token is claimed with one conditional UPDATE … WHERE used_at
 * IS NULL RETURNING, atomic on PostgreSQL and PGlite alike. Whoever finds it
 * already used — a thief replaying it, or the loser of two concurrent
 * refreshes — revokes the whole session (the token family), so the new pair
 * the winner just received stops working too. Clients must refresh one at a
 * time; a stolen token is worth nothing once its owner refreshes.
 */
export class RefreshRotation {
  constructor(
    private readonly sessions: SessionStore,
    private readonly issuer: TokenIssuer,
  ) {}

  async refresh(refreshToken: string): Promise<TokenPair> {
    const tokenHash = refreshTokenHash(refreshToken);
    const outcome = await this.sessions.transact<RefreshOutcome>(async (trx, revoke) => {
      const claimed = await trx
        .updateTable('identity.refresh_tokens')
        .set({ used_at: new Date() })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .returning('session_id')
        .executeTakeFirst();
      const session = claimed
        ? await trx
            .selectFrom('identity.sessions as s')
            .innerJoin('identity.users as u', 'u.id', 's.user_id')
            .select(['s.id', 's.user_id', 'u.role'])
            .where('s.id', '=', claimed.session_id)
            .where('s.revoked_at', 'is', null)
            .where('u.disabled_at', 'is', null)
            .executeTakeFirst()
        : undefined;
      if (session) {
        await trx.updateTable('identity.sessions').set({ last_seen_at: new Date() }).where('id', '=', session.id).execute();
        const pair = await this.issuer.issue(trx, {
          userId: session.user_id as UserId,
          sessionId: session.id as SessionId,
          role: session.role,
        });
        return { kind: 'rotated', pair };
      }
      if (claimed) return { kind: 'invalid' };
      const known = await trx
        .selectFrom('identity.refresh_tokens as r')
        .innerJoin('identity.sessions as s', 's.id', 'r.session_id')
        .select(['r.session_id', 'r.used_at', 's.user_id'])
        .where('r.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!known?.used_at) return { kind: 'invalid' };
      await revoke(known.user_id, { kind: 'only', sessionIds: [known.session_id] }, 'token_reused');
      return { kind: 'reused' };
    });
    if (outcome.kind === 'reused') throw new KaifError('TOKEN_REUSED');
    if (outcome.kind === 'invalid') throw new KaifError('TOKEN_INVALID');
    return outcome.pair;
  }

  /** Ends the session the refresh token belongs to; unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.sessions.transact(async (trx, revoke) => {
      const known = await trx
        .selectFrom('identity.refresh_tokens as r')
        .innerJoin('identity.sessions as s', 's.id', 'r.session_id')
        .select(['r.session_id', 's.user_id'])
        .where('r.token_hash', '=', refreshTokenHash(refreshToken))
        .executeTakeFirst();
      if (known) await revoke(known.user_id, { kind: 'only', sessionIds: [known.session_id] }, 'logout');
    });
  }
}

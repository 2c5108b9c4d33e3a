import type { TokenPair } from '@kaif/protocol';
import type { Principal } from '../../../platform/http/principal.js';
import type { IdentityTransaction } from '../sessions/session-store.js';
import type { AccessTokens } from './access-tokens.js';
import { REFRESH_TOKEN_TTL_MS, newRefreshToken, refreshTokenHash } from './refresh-token.js';

/** Issues an access token and the session's next refresh token, recorded in the caller's transaction. */
export class TokenIssuer {
  constructor(private readonly accessTokens: AccessTokens) {}

  async issue(trx: IdentityTransaction, principal: Principal): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await trx
      .insertInto('identity.refresh_tokens')
      .values({
        token_hash: refreshTokenHash(refreshToken),
        session_id: principal.sessionId,
        expires_at: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
        used_at: null,
      })
      .execute();
    return { accessToken: await this.accessTokens.issue(principal), refreshToken };
  }
}
